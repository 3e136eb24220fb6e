/**
 * The typed API client: openapi-fetch over the types generated from the gateway's
 * OpenAPI (src/api/schema.d.ts, `make web`), so that a changed contract breaks the
 * type check, not a page. Same origin as the app: paths are /api/v1/….
 *
 * Every request carries the access token. A 401 `token_expired` is answered by one
 * refresh (POST /auth/refresh rotates the refresh token; concurrent requests share
 * it) and the request is sent again; when the refresh fails the session ends and the
 * sign-in page says 「登录已过期，请重新登录」.
 */
import createClient from "openapi-fetch";
import type { paths, components } from "./schema";
import { ApiError, errorOf } from "../lib/errors";
import { tokens } from "./tokens";

export type Schemas = components["schemas"];

let refreshing: Promise<boolean> | null = null;
let onSessionExpired: () => void = () => {};

export function setSessionExpiredHandler(handler: () => void): void {
  onSessionExpired = handler;
}

/** One refresh of the token pair (shared by concurrent callers); false when it failed. */
export async function refreshOnce(): Promise<boolean> {
  const refreshToken = tokens.refresh;
  if (!refreshToken) return false;
  refreshing ??= (async () => {
    try {
      const response = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
      if (!response.ok) return false;
      const pair = (await response.json()) as Schemas["TokenPair"];
      tokens.set(pair.access_token, pair.refresh_token);
      return true;
    } catch {
      return false;
    } finally {
      setTimeout(() => (refreshing = null), 0);
    }
  })();
  return refreshing;
}

async function isTokenExpired(response: Response): Promise<boolean> {
  if (response.status !== 401) return false;
  try {
    const body = (await response.clone().json()) as { error?: { code?: string } };
    return body.error?.code === "token_expired";
  } catch {
    return false;
  }
}

/** fetch with the bearer token, one refresh on an expired token, then one retry. */
export async function authFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  const send = (request: Request) => {
    if (tokens.access) request.headers.set("Authorization", `Bearer ${tokens.access}`);
    return fetch(request);
  };
  const response = await send(input);
  if (!(await isTokenExpired(response))) {
    if (response.status === 401 && tokens.access && !input.url.includes("/auth/")) {
      tokens.clear();
      onSessionExpired();
    }
    return response;
  }
  if (await refreshOnce()) return send(retry);
  tokens.clear();
  onSessionExpired();
  return response;
}

/** The session ended (refresh failed): back to the sign-in page. */
export function sessionExpired(): void {
  tokens.clear();
  onSessionExpired();
}

export const api = createClient<paths>({ baseUrl: "", fetch: authFetch });

/** The data of an openapi-fetch result, or its ApiError thrown. */
export async function unwrap<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await pending;
  } catch (exc) {
    if (exc instanceof ApiError) throw exc;
    throw new ApiError(0, "network_error", String(exc));
  }
  if (!result.response.ok || result.data === undefined) {
    throw await errorOf(result.response, result.error);
  }
  return result.data;
}
