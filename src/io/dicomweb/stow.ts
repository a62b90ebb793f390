/**
 * STOW-RS: one POST of `multipart/related; type="application/dicom"` to /studies, and the server's
 * answer dataset read instance by instance: ReferencedSOPSequence (0008,1199) for the stored ones
 * (with WarningReason (0008,1196)), FailedSOPSequence (0008,1198) with FailureReason (0008,1197).
 * 409 (none stored) and 400 (Orthanc: nothing it could read) still carry that dataset and are
 * returned, not thrown; an instance the answer does not list is reported failed, named by the SOP
 * Instance UID of its file meta header.
 */
import { buildMultipart, newBoundary } from './multipart';
import { formatBytes, request, serverError, statusError, type FetchFn } from './http';
import { num, seq, str, T } from './json';
import { metaSopInstanceUid } from './part10';
import { parseJsonArray } from './qido';
import type { DicomJson, DicomwebServer, StowResult } from './types';

/** PS3.4 / PS3.18 status codes a STOW answer uses, in words. */
const REASONS: Record<number, string> = {
  0x0110: 'processing failure',
  0x0112: 'no such object instance',
  0x0122: 'SOP class not supported',
  0x0124: 'not authorized',
  0x0211: 'unrecognized operation',
  0xa700: 'out of resources',
  0xa770: 'out of resources (storage)',
  0xa900: 'data set does not match SOP class',
  0xc000: 'cannot understand the data set',
  0xc122: 'referenced transfer syntax not supported',
  0xb000: 'coercion of data elements',
  0xb006: 'elements discarded',
  0xb007: 'data set does not match SOP class (stored anyway)',
};

export function reasonText(code: number | undefined): string {
  if (code === undefined) return 'no reason given';
  const hex = `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return REASONS[code] ? `${REASONS[code]} (${hex})` : `status ${hex}`;
}

export async function stow(
  server: DicomwebServer,
  fetchFn: FetchFn,
  instances: Uint8Array[],
  signal?: AbortSignal,
): Promise<StowResult> {
  const boundary = newBoundary();
  const body = buildMultipart(instances, boundary, 'application/dicom');
  const sent = `${formatBytes(body.size)} in ${instances.length} instance${instances.length === 1 ? '' : 's'}`;
  const res = await request(server, fetchFn, '/studies', {
    method: 'POST',
    headers: {
      'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
      Accept: 'application/dicom+json',
    },
    body,
    signal,
    sent,
    accept: [400, 409],
  });
  const text = await res.text();
  const ds = parseAnswer(text);
  if (!ds) {
    if (!res.ok) throw await statusError(server, new Response(text, { status: res.status }), '/studies');
    throw serverError(server, `the STOW-RS answer is not a DICOM JSON dataset (HTTP ${res.status})`);
  }
  const result = parseStowAnswer(res.status, ds);
  const listed = new Set([...result.stored, ...result.failed].map((x) => x.sopInstanceUid));
  // Orthanc stops at an instance it cannot index (e.g. a blank Study Instance UID) and answers
  // 200 listing neither it nor the ones after it: report those as failed, and the status as the
  // standard has it (202 some stored, 409 none)
  if (listed.size < instances.length) {
    instances.forEach((bytes, i) => {
      const uid = metaSopInstanceUid(bytes);
      if (uid && listed.has(uid)) return;
      result.failed.push({
        sopInstanceUid: uid || `instance ${i + 1} (no SOP Instance UID)`,
        reason: `not stored: the server's answer does not list it (HTTP ${res.status})`,
      });
    });
  }
  if (result.status === 200 && result.failed.length > 0) result.status = result.stored.length > 0 ? 202 : 409;
  return result;
}

function parseAnswer(text: string): DicomJson | null {
  const arr = parseJsonArray(text);
  if (arr && arr.length > 0) return arr[0];
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as DicomJson) : null;
  } catch {
    return null;
  }
}

export function parseStowAnswer(status: number, ds: DicomJson): StowResult {
  const stored = seq(ds, T.ReferencedSOPSequence).map((item) => {
    const w = num(item, T.WarningReason);
    return {
      sopInstanceUid: str(item, T.ReferencedSOPInstanceUID),
      ...(w !== undefined ? { warning: reasonText(w) } : {}),
    };
  });
  const failed = seq(ds, T.FailedSOPSequence).map((item) => ({
    sopInstanceUid: str(item, T.ReferencedSOPInstanceUID),
    reason: reasonText(num(item, T.FailureReason)),
  }));
  return { status, stored, failed };
}
