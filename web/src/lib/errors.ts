/**
 * What a person reads when a request fails. Every error body of the API is
 * `{"error": {"code", "message"}}`; known codes read in Chinese, others show the
 * server's own message. 503/504 (and no answer at all) read
 * 「服务暂时不可用，请稍后重试」 with the request id to quote to the help desk.
 */

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    public serverMessage: string,
    public requestId: string | null = null,
  ) {
    super(serverMessage);
    this.name = "ApiError";
  }
}

export const UNAVAILABLE = "服务暂时不可用，请稍后重试";
export const SESSION_EXPIRED = "登录已过期，请重新登录";

const MESSAGES: Record<string, string> = {
  invalid_credentials: "租户代码、用户名或密码错误",
  login_throttled: "登录失败次数过多，账号已被暂时锁定，请稍后再试",
  rate_limited: "操作过于频繁，请稍后再试",
  token_expired: SESSION_EXPIRED,
  invalid_refresh_token: SESSION_EXPIRED,
  refresh_token_reused: SESSION_EXPIRED,
  not_authenticated: "请先登录",
  invalid_token: SESSION_EXPIRED,
  current_password_wrong: "当前密码不正确",
  password_unchanged: "新密码不能与当前密码相同",
  role_required: "您没有执行此操作的权限",
  not_task_holder: "该任务不在您的待办中",
  task_already_taken: "该任务已被他人处理",
  task_closed: "该任务已办理完毕，请勿重复操作",
  task_not_found: "任务不存在或无权查看",
  document_not_found: "文件不存在或无权查看",
  opinion_required: "请填写意见",
  action_not_allowed: "当前环节不允许此操作",
  no_valid_delegation: "没有有效的领导授权，不能代领导批示",
  bad_series_prefix: "机关代字只写代字本身（如 黔府办函），不能含年份、〔〕、第、号或数字",
  series_exists: "本租户已有该机关代字的发文字号，不能重复创建",
  not_own_series: "这是其他单位的发文字号，只有该单位的文书才能在其中编号或为其创建字号",
  series_not_found: "发文字号不存在",
  number_not_found: "文号不存在",
  number_voided: "该文号已作废，不能再次作废",
  unit_not_found: "单位不存在或已撤销",
  file_too_large: "文件过大",
  file_type_not_allowed: "文件类型不支持（仅限 PDF、OFD、JPEG、PNG、TIFF）",
  upload_timeout: "上传超时，请重试",
  uploads_busy: "上传繁忙，请稍后重试",
  classified_refused: "涉密文件（秘密、机密、绝密）不得在平台登记",
  empty_file: "文件为空",
  already_signed: "已签收，请勿重复签收",
  document_archived: "文件已归档，不能再修改",
  urge_not_allowed: "您不能催办该任务",
  not_allowed_to_urge: "您不能催办该任务",
  circulate_not_allowed: "您不能传阅该文件",
  not_allowed_to_circulate: "您不能传阅该文件",
  not_recipient: "该传阅件不是发给您的",
  already_distributed: "该文件已分办",
  parent_inactive: "上级机构已撤销，请先恢复上级机构",
};

/** Codes whose server message carries details worth keeping (counts, names). */
const DETAILED: Record<string, (serverMessage: string) => string> = {
  org_unit_in_use: (message) => {
    const counts = /(\d+) active unit\(s\) and (\d+) active user\(s\)/.exec(message);
    if (!counts) return `该机构下还有启用的下级机构或人员，不能撤销（${message}）`;
    const [units, users] = [Number(counts[1]), Number(counts[2])];
    const parts = [units ? `${units} 个启用的下级机构` : "", users ? `${users} 名在职人员` : ""].filter(Boolean);
    return `该机构下还有 ${parts.join("和 ")}，请先调出或停用后再撤销`;
  },
};

export function messageFor(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 503 || error.status === 504 || error.status === 0) {
      return error.requestId ? `${UNAVAILABLE}（请求编号 ${error.requestId}）` : UNAVAILABLE;
    }
    const known = MESSAGES[error.code];
    if (known) return known;
    const detailed = DETAILED[error.code];
    if (detailed) return detailed(error.serverMessage);
    if (error.code === "invalid_input" && error.serverMessage) {
      return `输入有误：${error.serverMessage}`;
    }
    return error.serverMessage || `操作失败（${error.status}）`;
  }
  if (error instanceof TypeError) return UNAVAILABLE; // fetch itself failed: no network
  return error instanceof Error ? error.message : String(error);
}

/** The ApiError of a failed response (body `{"error": {...}}`, or none at all). */
export async function errorOf(response: Response, body?: unknown): Promise<ApiError> {
  let parsed = body;
  if (parsed === undefined) {
    try {
      parsed = await response.clone().json();
    } catch {
      parsed = undefined;
    }
  }
  const info = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
  return new ApiError(
    response.status,
    info?.code ?? `http_${response.status}`,
    info?.message ?? response.statusText,
    response.headers.get("X-Request-ID"),
  );
}
