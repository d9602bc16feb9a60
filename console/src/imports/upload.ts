// Sending a CSV to importTracking: urql sends a variable holding a File as a GraphQL
// multipart request (one file, mapped to variables.file).
import type { Client } from "urql";
import { graphql } from "../gql";
import type { ImportOptionsInput, TrackingImportStatus } from "../gql/graphql";
import { idempotencyKey } from "../lib/format";

const ImportTrackingDocument = graphql(`
  mutation ImportTracking($file: Upload!, $options: ImportOptionsInput, $key: String) {
    importTracking(file: $file, options: $options, idempotencyKey: $key) {
      trackingImport {
        id
        status
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

const CSV_TYPES = new Set(["text/csv", "text/plain", "application/vnd.ms-excel", "application/csv"]);

/** Why a chosen file cannot be a carrier's CSV, or null when it may be one. */
export function csvFileProblem(file: { name: string; type: string; size: number }): string | null {
  const named = /\.(csv|txt)$/i.test(file.name);
  if (!named && !CSV_TYPES.has(file.type)) return `${file.name} is not a CSV file.`;
  if (file.size === 0) return `${file.name} is empty.`;
  return null;
}

export interface UploadAnswer {
  id: string | null;
  errors: { message: string }[];
}

export async function uploadImport(client: Client, file: File, options: ImportOptionsInput): Promise<UploadAnswer> {
  const result = await client.mutation(ImportTrackingDocument, { file, options, key: idempotencyKey() }).toPromise();
  if (result.error) return { id: null, errors: [{ message: result.error.message }] };
  const payload = result.data?.importTracking;
  return { id: payload?.trackingImport?.id ?? null, errors: payload?.errors ?? [{ message: "The import was refused." }] };
}

export function finished(status: TrackingImportStatus): boolean {
  return status === "SUCCEEDED" || status === "FAILED";
}

export function progressText(progress: { status: TrackingImportStatus; processedRows: number; totalRows?: number | null }): string {
  if (progress.status === "QUEUED") return "Waiting for a worker…";
  const of = progress.totalRows ?? "?";
  return `${progress.processedRows} of ${of} rows`;
}
