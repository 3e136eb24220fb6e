/**
 * Downloading a file the API makes (the overdue report as XLSX / CSV): fetched with the
 * bearer token (a plain link would lack it; an expired token is refreshed once by
 * authFetch) and saved from a blob under the name the server gives.
 */
import { authFetch } from "../../api/client";
import { errorOf } from "../../lib/errors";

/** The file name of a Content-Disposition header (RFC 5987 `filename*` first). */
export function filenameOf(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      /* fall through to the plain name */
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain?.[1] ?? fallback;
}

/** GET `url` with the token and save what comes back; throws the ApiError of a failure. */
export async function downloadFile(url: string, fallbackName: string): Promise<string> {
  const response = await authFetch(new Request(url, { method: "GET" }));
  if (!response.ok) throw await errorOf(response);
  const blob = await response.blob();
  const name = filenameOf(response.headers.get("Content-Disposition"), fallbackName);
  const href = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = href;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return name;
}
