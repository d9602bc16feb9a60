import { describe, expect, it } from "vitest";
import { fakeClient } from "../test-client";
import { csvFileProblem, finished, progressText, uploadImport } from "./upload";

describe("choosing a file", () => {
  it("takes a CSV by its name or type, refuses anything else and empty files", () => {
    expect(csvFileProblem({ name: "ups.csv", type: "", size: 10 })).toBeNull();
    expect(csvFileProblem({ name: "export", type: "text/csv", size: 10 })).toBeNull();
    expect(csvFileProblem({ name: "Book1.CSV", type: "application/vnd.ms-excel", size: 10 })).toBeNull();
    expect(csvFileProblem({ name: "photo.png", type: "image/png", size: 10 })).toBe("photo.png is not a CSV file.");
    expect(csvFileProblem({ name: "empty.csv", type: "text/csv", size: 0 })).toBe("empty.csv is empty.");
  });
});

describe("an import's progress", () => {
  it("reads as rows done of all, and ends when it succeeded or failed", () => {
    expect(progressText({ status: "QUEUED", processedRows: 0, totalRows: null })).toBe("Waiting for a worker…");
    expect(progressText({ status: "RUNNING", processedRows: 2000, totalRows: 5000 })).toBe("2000 of 5000 rows");
    expect(finished("RUNNING")).toBe(false);
    expect(finished("SUCCEEDED")).toBe(true);
    expect(finished("FAILED")).toBe(true);
  });
});

describe("uploading", () => {
  it("sends the file itself with the options and a new idempotency key", async () => {
    const { client, sent } = fakeClient(() => ({ importTracking: { trackingImport: { id: "VHJhY2tpbmdJbXBvcnQ6MQ==", status: "QUEUED" }, errors: [] } }));
    const file = new File(["order,tracking\n104,1Z999AA10123456784\n"], "ups.csv", { type: "text/csv" });
    const options = { createShipments: true, overwrite: false, setStatus: null };
    expect(await uploadImport(client, file, options)).toEqual({ id: "VHJhY2tpbmdJbXBvcnQ6MQ==", errors: [] });
    const variables = sent[0]?.variables as { file: File; options: unknown; key: string };
    expect(variables.file).toBe(file);
    expect(variables.options).toEqual(options);
    expect(variables.key).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("reports the API's refusal", async () => {
    const { client } = fakeClient(() => ({ importTracking: { trackingImport: null, errors: [{ code: "FORBIDDEN", message: "This needs IMPORTS_WRITE.", field: null }] } }));
    const answer = await uploadImport(client, new File(["a"], "a.csv"), { createShipments: false, overwrite: false });
    expect(answer).toEqual({ id: null, errors: [{ code: "FORBIDDEN", message: "This needs IMPORTS_WRITE.", field: null }] });
  });
});
