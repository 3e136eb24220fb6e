/**
 * Scans (扫描件): the checks made before a file is sent (type by name, size), and
 * the upload of one file with its progress (XMLHttpRequest: fetch reports no upload
 * progress). One request per file, so that each file gets its own result; the server
 * sniffs the type from the bytes and has the last word.
 */
import { tokens } from "../api/tokens";
import { refreshOnce, sessionExpired } from "../api/client";
import { ApiError } from "./errors";

export const MAX_SCAN_BYTES = 50 * 1024 * 1024; // the gateway's default MAX_UPLOAD_BYTES
export const SCAN_EXTENSIONS = ["pdf", "ofd", "jpg", "jpeg", "png", "tif", "tiff"];
export const SCAN_ACCEPT = SCAN_EXTENSIONS.map((e) => "." + e).join(",");

/** Why a file cannot be sent, in Chinese; null when it may be. */
export function scanProblem(file: { name: string; size: number }, maxBytes = MAX_SCAN_BYTES): string | null {
  const ext = file.name.includes(".") ? file.name.split(".").pop()!.toLowerCase() : "";
  if (!SCAN_EXTENSIONS.includes(ext)) return "文件类型不支持（仅限 PDF、OFD、JPEG、PNG、TIFF）";
  if (file.size === 0) return "文件为空";
  if (file.size > maxBytes) return `文件过大（${formatSize(file.size)}，上限 ${formatSize(maxBytes)}）`;
  return null;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function send(url: string, file: File, onProgress: (percent: number) => void): Promise<XMLHttpRequest> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    if (tokens.access) xhr.setRequestHeader("Authorization", `Bearer ${tokens.access}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(Math.min(99, Math.round((e.loaded / e.total) * 100)));
    };
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => reject(new ApiError(0, "network_error", "network error"));
    const body = new FormData();
    body.append("files", file, file.name);
    xhr.send(body);
  });
}

function errorOfXhr(xhr: XMLHttpRequest): ApiError {
  let code = `http_${xhr.status}`;
  let message = xhr.statusText;
  try {
    const body = JSON.parse(xhr.responseText) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    /* not JSON */
  }
  return new ApiError(xhr.status, code, message, xhr.getResponseHeader("X-Request-ID"));
}

/** Upload one scan to a document; resolves with the stored file, rejects with an ApiError. */
export function uploadScan(documentId: string, file: File, onProgress: (percent: number) => void): Promise<unknown> {
  return uploadFile(`/api/v1/documents/${encodeURIComponent(documentId)}/files`, file, onProgress);
}

/** Upload one file (multipart part ``files``) to ``url`` of the API with its progress, one
 * refresh of an expired token; resolves with the answer, rejects with an ApiError. */
export async function uploadFile(url: string, file: File, onProgress: (percent: number) => void): Promise<unknown> {
  let xhr = await send(url, file, onProgress);
  if (xhr.status === 401 && xhr.responseText.includes("token_expired")) {
    if (!(await refreshOnce())) {
      sessionExpired();
      throw errorOfXhr(xhr);
    }
    xhr = await send(url, file, onProgress);
  }
  if (xhr.status < 200 || xhr.status >= 300) throw errorOfXhr(xhr);
  onProgress(100);
  return JSON.parse(xhr.responseText);
}
