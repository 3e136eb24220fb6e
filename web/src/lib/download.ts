/** Files downloaded through the gateway (GET /files/{id}/content with the token): the
 * object store's links need not be reachable from the desks. */
import { authFetch } from "../api/client";
import { errorOf } from "./errors";

export async function downloadFile(fileId: string, filename: string): Promise<void> {
  const response = await authFetch(new Request(`/api/v1/files/${encodeURIComponent(fileId)}/content`));
  if (!response.ok) throw await errorOf(response);
  const url = URL.createObjectURL(await response.blob());
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = filename;
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
