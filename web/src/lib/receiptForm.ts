/**
 * Receipt forms (回执单) of notices: the pure parts of the composer's form builder (fields
 * added, moved, removed, checked before sending, the body the API takes) and of a
 * recipient's reply (the values as the inputs hold them, checked against the form and sent
 * as the API takes them). The server has the last word (services/notify/receipt_forms.py);
 * these checks say the same things earlier, in Chinese, next to the field.
 */

export type FieldType = "text" | "textarea" | "integer" | "number" | "phone" | "date" | "select";

export const FIELD_TYPE_LABELS: Record<FieldType, string> = {
  text: "单行文本",
  textarea: "多行文本",
  integer: "整数",
  number: "数字",
  phone: "电话",
  date: "日期",
  select: "单选",
};
export const FIELD_TYPES = Object.keys(FIELD_TYPE_LABELS) as FieldType[];

/** The server's limits (receipt_forms.py): fields per form, characters of a label and of
 * a text value, options of a select. */
export const MAX_FIELDS = 20;
export const MAX_LABEL = 40;
export const MAX_OPTIONS = 30;
export const MAX_TEXT: Partial<Record<FieldType, number>> = { text: 200, textarea: 2000 };

/** A field as the builder edits it (``uid``: a stable key for the list while it moves). */
export interface BuilderField {
  uid: number;
  label: string;
  type: FieldType;
  required: boolean;
  options: string[];
}

/** A field as a recipient sees it (the API's ReceiptFieldOut). */
export interface FormField {
  key: string;
  label: string;
  type: string;
  type_label?: string;
  required: boolean;
  options?: string[];
}

let uids = 0;

export function newField(init: Partial<Omit<BuilderField, "uid">> = {}): BuilderField {
  return { uid: ++uids, label: "", type: "text", required: false, options: [], ...init };
}

/** Common fields of a meeting notice, offered as one-click additions. */
export const COMMON_FIELDS: Omit<BuilderField, "uid">[] = [
  { label: "参会人员", type: "text", required: true, options: [] },
  { label: "职务", type: "text", required: false, options: [] },
  { label: "人数", type: "integer", required: true, options: [] },
  { label: "联系电话", type: "phone", required: true, options: [] },
  { label: "备注", type: "textarea", required: false, options: [] },
];

/** ``fields`` with the one at ``index`` moved by ``delta`` (-1 up, +1 down); the same list
 * when it cannot move. */
export function moveField<T>(fields: readonly T[], index: number, delta: -1 | 1): T[] {
  const to = index + delta;
  if (index < 0 || index >= fields.length || to < 0 || to >= fields.length) return [...fields];
  const out = [...fields];
  const [moved] = out.splice(index, 1);
  out.splice(to, 0, moved as T);
  return out;
}

export function removeField<T>(fields: readonly T[], index: number): T[] {
  return fields.filter((_, i) => i !== index);
}

/** An option typed for a select: the options afterwards (trimmed, each once, not empty). */
export function withOption(options: readonly string[], typed: string): string[] {
  const parts = typed
    .split(/[,，、;；\n]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  return [...new Set([...options, ...parts])].slice(0, MAX_OPTIONS);
}

/** What is wrong with each field (by uid), in Chinese; and with the form as a whole. */
export function formProblems(fields: readonly BuilderField[]): { fields: Record<number, string>; form: string } {
  const out: Record<number, string> = {};
  const seen = new Set<string>();
  for (const f of fields) {
    const label = f.label.trim();
    if (!label) out[f.uid] = "请填写字段名称";
    else if (label.length > MAX_LABEL) out[f.uid] = `字段名称最多 ${MAX_LABEL} 个字`;
    else if (seen.has(label)) out[f.uid] = "回执字段名称重复";
    else if (f.type === "select" && !f.options.some((o) => o.trim())) out[f.uid] = "单选字段需要选项";
    else if (f.options.some((o) => o.trim().length > MAX_LABEL)) out[f.uid] = `每个选项最多 ${MAX_LABEL} 个字`;
    seen.add(label);
  }
  const form = fields.length > MAX_FIELDS ? `回执字段最多 ${MAX_FIELDS} 个` : "";
  return { fields: out, form };
}

/** The form as POST /notices takes it: labels trimmed, options only on a select (the keys
 * are left to the server: f1, f2… in this order). */
export function formBody(fields: readonly BuilderField[]): { label: string; type: FieldType; required: boolean; options: string[] }[] {
  return fields.map((f) => ({
    label: f.label.trim(),
    type: f.type,
    required: f.required,
    options: f.type === "select" ? [...new Set(f.options.map((o) => o.trim()).filter(Boolean))] : [],
  }));
}

/** The form as the recipient will see it, for the composer's preview (keys as the server
 * will give them; a field without a name yet shows as 「字段 N」). */
export function previewForm(fields: readonly BuilderField[]): FormField[] {
  return fields.map((f, i) => ({
    key: `f${i + 1}`,
    label: f.label.trim() || `字段 ${i + 1}`,
    type: f.type,
    type_label: FIELD_TYPE_LABELS[f.type],
    required: f.required,
    options: f.type === "select" ? f.options.filter((o) => o.trim()) : [],
  }));
}

// -- a reply (回执) ----------------------------------------------------------------------------------

/** A value as an input holds it: text, a number from el-input-number, null when cleared. */
export type FieldValue = string | number | null | undefined;
export type Values = Record<string, FieldValue>;

/** A mobile number, or a landline with its area code (and an extension): as the server. */
export const PHONE = /^(\+?86[- ]?)?(1\d{10}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{7,8})$/;

const isNumeric = (type: string) => type === "integer" || type === "number";

/** The inputs' values for ``form``: the reply given so far, empty otherwise. */
export function initialValues(form: readonly FormField[], reply: Record<string, unknown> | null | undefined): Values {
  const out: Values = {};
  for (const f of form) {
    const given = reply?.[f.key];
    if (given === undefined || given === null || given === "") out[f.key] = isNumeric(f.type) ? null : "";
    else if (isNumeric(f.type)) out[f.key] = typeof given === "number" ? given : Number(given);
    else out[f.key] = String(given);
  }
  return out;
}

function empty(value: FieldValue): boolean {
  return value === null || value === undefined || (typeof value === "string" && !value.trim()) || (typeof value === "number" && Number.isNaN(value));
}

/** What is wrong with each value (by key), in Chinese; empty when the reply may be sent. */
export function replyProblems(form: readonly FormField[], values: Values): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of form) {
    const value = values[f.key];
    if (empty(value)) {
      if (f.required) out[f.key] = `请填写${f.label}`;
      continue;
    }
    if (isNumeric(f.type)) {
      const n = typeof value === "number" ? value : Number(String(value).trim());
      if (!Number.isFinite(n)) out[f.key] = `${f.label}应为数字`;
      else if (f.type === "integer" && !Number.isInteger(n)) out[f.key] = `${f.label}应为整数`;
      else if (Math.abs(n) >= 1e12) out[f.key] = `${f.label}超出范围`;
      continue;
    }
    const text = String(value).trim();
    if (f.type === "phone" && !PHONE.test(text.replace(/\s+/g, ""))) out[f.key] = "请填写正确的手机号码或固定电话（如 0851-86812345）";
    else if (f.type === "date" && !/^\d{4}-\d{2}-\d{2}$/.test(text)) out[f.key] = "请选择日期";
    else if (f.type === "select" && !(f.options ?? []).includes(text)) out[f.key] = "请从选项中选择";
    else if (text.length > (MAX_TEXT[f.type as FieldType] ?? 200)) out[f.key] = `最多 ${MAX_TEXT[f.type as FieldType] ?? 200} 个字`;
  }
  return out;
}

/** The reply as PUT /notices/{id}/reply takes it: the filled-in fields only, text trimmed,
 * numbers as numbers, a phone number without spaces. */
export function replyBody(form: readonly FormField[], values: Values): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const f of form) {
    const value = values[f.key];
    if (empty(value)) continue;
    if (isNumeric(f.type)) out[f.key] = typeof value === "number" ? value : Number(String(value).trim());
    else if (f.type === "phone") out[f.key] = String(value).replace(/\s+/g, "");
    else out[f.key] = String(value).trim();
  }
  return out;
}

/** A reply's value as a table cell reads it (「—」 when not given). */
export function valueText(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  return String(value);
}

/** The server's refusal of a reply, in Chinese: the field it names when it names one. */
export function replyRefusal(code: string, serverMessage: string, form: readonly FormField[]): { key: string | null; message: string } | null {
  const named = (pattern: RegExp) => {
    const label = pattern.exec(serverMessage)?.[1]?.trim();
    return form.find((f) => f.label === label) ?? null;
  };
  if (code === "missing_field") {
    const field = named(/^(.+?) is required/);
    return { key: field?.key ?? null, message: field ? `请填写${field.label}` : "有必填项未填写" };
  }
  if (code === "invalid_field_value") {
    const field = named(/^(.+?):/);
    return { key: field?.key ?? null, message: field ? `${field.label}填写有误` : "有内容填写有误，请检查" };
  }
  if (code === "unknown_field") return { key: null, message: "回执单已变更，请刷新页面后重新填写" };
  return null;
}
