// Select many -> one status: the button beside a selection, and the dialog it opens (its own
// chunk: fetched as soon as orders are selected, so it is there by the time it is pressed).
import { lazy, Suspense, useEffect, useState } from "react";
import { Button } from "../ui/fields";

const loadDialog = () => import("./BulkStatusDialog");
const BulkStatusDialog = lazy(loadDialog);

export function BulkStatus({ orderIds, onDone }: { orderIds: string[]; onDone(): void }) {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    void loadDialog();
  }, []);
  return (
    <>
      <Button onPress={() => setOpen(true)}>Change status</Button>
      {open && (
        <Suspense fallback={<span role="status">Opening…</span>}>
          <BulkStatusDialog orderIds={orderIds} onDone={onDone} onClose={() => setOpen(false)} />
        </Suspense>
      )}
    </>
  );
}
