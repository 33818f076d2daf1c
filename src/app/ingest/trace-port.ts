/** Where step traces are kept (migration 013): one per traced request-log row. */
import type { TraceMode } from "../../domain/postback-trace.ts";
import type { RequestLogRow } from "../records.ts";

export interface TraceRow {
  readonly requestLogId: string;
  readonly operatorId: number | null;
  readonly receivedAt: number;
  readonly mode: TraceMode;
  /** The PostbackTrace as JSON. */
  readonly trace: string;
}

/** What a refused signature was checked over (migration 013), as JSON: never the secret. */
export interface SignatureEvidenceRow {
  readonly requestLogId: string;
  readonly operatorId: number | null;
  readonly receivedAt: number;
  readonly material: string;
}

export interface TraceStore {
  /** Writes traces outside an ingest batch (a validate-only run, after its rollback). */
  insert(rows: readonly TraceRow[]): Promise<void>;
  get(requestLogId: string): Promise<TraceRow | undefined>;
  /** One request-log entry by id (to rebuild the trace of an untraced one). */
  requestLogEntry(id: string): Promise<RequestLogRow | undefined>;
  /** An operator's traces received at or after `since`, newest first, at most `limit`. */
  ofOperator(operatorId: number, since: number, limit: number): Promise<TraceRow[]>;
  /** When a program's go-live checklist was last reset (epoch ms), or undefined. */
  checklistResetAt(programId: number): Promise<number | undefined>;
  resetChecklist(programId: number, at: number): Promise<void>;
  insertSignatureEvidence(rows: readonly SignatureEvidenceRow[]): Promise<void>;
  signatureEvidence(requestLogId: string): Promise<SignatureEvidenceRow | undefined>;
}
