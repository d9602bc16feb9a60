import { useParams } from "react-router";
export default function OrderPage() {
  const { number } = useParams();
  return <h1>Order {number}</h1>;
}
