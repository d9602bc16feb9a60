// Refund from a return: refundOrder with the return's items and its id, which settles the
// return (REFUNDED). The amount starts at what the items were sold for; the API decides.
import { useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { idempotencyKey, money } from "../lib/format";
import { Button, Dialog, Errors, TextField } from "../ui";
import { Check } from "../ui/Check";
import type { ReturnView } from "./index";
import { returnedValue } from "./returnMoves";

const RefundReturnDocument = graphql(`
  mutation RefundReturn($orderId: ID!, $input: RefundOrderInput!, $key: String) {
    refundOrder(orderId: $orderId, input: $input, idempotencyKey: $key) {
      refund {
        id
        amount
        currency
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export function RefundReturn({ request, onRefunded }: { request: ReturnView; onRefunded(message: string): void }) {
  const [open, setOpen] = useState(false);
  const [amount, setAmount] = useState("");
  const [restock, setRestock] = useState(false);
  const [reason, setReason] = useState("");
  const [key, setKey] = useState(idempotencyKey);
  const [{ data, fetching }, refund] = useMutation(RefundReturnDocument);
  const payment = request.order.payment;
  const left = Math.max(0, Number(payment.amountPaid) - Number(payment.amountRefunded)).toFixed(2);
  return (
    <>
      <Button
        variant="primary"
        onPress={() => {
          setAmount(returnedValue(request.items));
          setRestock(false);
          setReason("");
          setKey(idempotencyKey());
          setOpen(true);
        }}
      >
        Refund
      </Button>
      <Dialog title="Refund return" isOpen={open} onOpenChange={setOpen}>
        <form
          className="stack"
          onSubmit={async (event) => {
            event.preventDefault();
            const items = request.items.flatMap((item) => (item.orderItem ? [{ orderItemId: item.orderItem.id, quantity: item.quantity }] : []));
            const result = await refund({
              orderId: request.order.id,
              key,
              input: { amount, items, restock, reason, returnId: request.id },
            });
            const made = result.data?.refundOrder.refund;
            if (made) {
              setOpen(false);
              onRefunded(`Refunded ${money(made.amount, made.currency)}; the return is refunded.`);
            }
          }}
        >
          <p>
            Paid {money(payment.amountPaid, request.order.currency)}, refunded so far {money(payment.amountRefunded, request.order.currency)}:
            up to {money(left, request.order.currency)} can be refunded. The refund is recorded here; pay it back through the payment
            provider.
          </p>
          <TextField label="Amount" value={amount} onChange={setAmount} inputMode="decimal" isRequired description={`In ${request.order.currency}.`} />
          <Check
            label="Put the items back in stock"
            description={request.restocked ? "they were restocked when received" : "if they were not when received"}
            isSelected={restock}
            onChange={setRestock}
            isDisabled={request.restocked}
          />
          <TextField label="Reason" value={reason} onChange={setReason} description="Staff only." />
          <Errors errors={data?.refundOrder.errors} />
          <div className="dialog-buttons">
            <Button onPress={() => setOpen(false)}>Cancel</Button>
            <Button type="submit" variant="primary" isDisabled={fetching || !amount}>
              Refund {amount ? money(amount, request.order.currency) : ""}
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
