import { describe, expect, it } from "vitest";
import {
  formBody,
  formProblems,
  initialValues,
  moveField,
  newField,
  previewForm,
  removeField,
  replyBody,
  replyProblems,
  replyRefusal,
  valueText,
  withOption,
  type FormField,
} from "./receiptForm";

const meeting = () => [
  newField({ label: "参会人员", type: "text", required: true }),
  newField({ label: "人数", type: "integer", required: true }),
  newField({ label: "联系电话", type: "phone" }),
  newField({ label: "是否住宿", type: "select", options: ["是", "否"] }),
];

const FORM: FormField[] = [
  { key: "f1", label: "参会人员", type: "text", required: true },
  { key: "f2", label: "人数", type: "integer", required: true },
  { key: "f3", label: "联系电话", type: "phone", required: false },
  { key: "f4", label: "是否住宿", type: "select", required: false, options: ["是", "否"] },
  { key: "f5", label: "报到日期", type: "date", required: false },
  { key: "f6", label: "预算", type: "number", required: false },
];

describe("the form builder", () => {
  it("moves a field up and down, never past the ends", () => {
    const fields = meeting();
    const labels = (list: { label: string }[]) => list.map((f) => f.label);
    expect(labels(moveField(fields, 1, -1))).toEqual(["人数", "参会人员", "联系电话", "是否住宿"]);
    expect(labels(moveField(fields, 1, 1))).toEqual(["参会人员", "联系电话", "人数", "是否住宿"]);
    expect(labels(moveField(fields, 0, -1))).toEqual(labels(fields));
    expect(labels(moveField(fields, 3, 1))).toEqual(labels(fields));
    expect(labels(removeField(fields, 2))).toEqual(["参会人员", "人数", "是否住宿"]);
    expect(fields).toHaveLength(4); // the original list is left as it was
  });

  it("gives every field its own uid", () => {
    const [a, b] = [newField(), newField()];
    expect(a.uid).not.toBe(b.uid);
  });

  it("adds typed options, split on commas, each once", () => {
    expect(withOption(["是"], " 否 ")).toEqual(["是", "否"]);
    expect(withOption([], "单间，标间、 套间")).toEqual(["单间", "标间", "套间"]);
    expect(withOption(["是"], "是")).toEqual(["是"]);
    expect(withOption(["是"], "   ")).toEqual(["是"]);
  });

  it("says what is wrong with a field in Chinese", () => {
    const fields = [
      newField({ label: "" }),
      newField({ label: "人数", type: "integer" }),
      newField({ label: " 人数 ", type: "text" }),
      newField({ label: "房型", type: "select", options: [" "] }),
      newField({ label: "联系电话", type: "phone" }),
    ];
    const { fields: problems, form } = formProblems(fields);
    expect(problems[fields[0]!.uid]).toBe("请填写字段名称");
    expect(problems[fields[1]!.uid]).toBeUndefined();
    expect(problems[fields[2]!.uid]).toBe("回执字段名称重复");
    expect(problems[fields[3]!.uid]).toBe("单选字段需要选项");
    expect(problems[fields[4]!.uid]).toBeUndefined();
    expect(form).toBe("");
    expect(formProblems(Array.from({ length: 21 }, (_, i) => newField({ label: `字段${i}` }))).form).toBe("回执字段最多 20 个");
    expect(formProblems(meeting()).fields).toEqual({});
  });

  it("sends labels trimmed and options only on a select", () => {
    const fields = [newField({ label: " 人数 ", type: "integer", options: ["left over"] }), newField({ label: "住宿", type: "select", options: ["是", " 否", "是", ""] })];
    expect(formBody(fields)).toEqual([
      { label: "人数", type: "integer", required: false, options: [] },
      { label: "住宿", type: "select", required: false, options: ["是", "否"] },
    ]);
  });

  it("previews the form with the keys the server will give", () => {
    const preview = previewForm([newField({ label: "参会人员", required: true }), newField({ type: "select", options: ["是", ""] })]);
    expect(preview).toEqual([
      { key: "f1", label: "参会人员", type: "text", type_label: "单行文本", required: true, options: [] },
      { key: "f2", label: "字段 2", type: "select", type_label: "单选", required: false, options: ["是"] },
    ]);
  });
});

describe("a reply", () => {
  it("starts from the reply given so far", () => {
    expect(initialValues(FORM, null)).toEqual({ f1: "", f2: null, f3: "", f4: "", f5: "", f6: null });
    expect(initialValues(FORM, { f1: "李电政", f2: 2, f6: "1.5" })).toMatchObject({ f1: "李电政", f2: 2, f6: 1.5, f3: "" });
  });

  it("names the required fields left empty and the values of the wrong type", () => {
    expect(replyProblems(FORM, initialValues(FORM, null))).toEqual({ f1: "请填写参会人员", f2: "请填写人数" });
    const values = { f1: "  ", f2: 2.5, f3: "12345", f4: "也许", f5: "明天", f6: Number.NaN };
    expect(replyProblems(FORM, values)).toEqual({
      f1: "请填写参会人员",
      f2: "人数应为整数",
      f3: "请填写正确的手机号码或固定电话（如 0851-86812345）",
      f4: "请从选项中选择",
      f5: "请选择日期",
    });
    for (const phone of ["13800000000", "0851-86812345", "0851-86812345-123", "+86 138 0000 0000", "86812345"]) {
      expect(replyProblems(FORM, { f1: "李", f2: 1, f3: phone })).toEqual({});
    }
  });

  it("sends only what is filled in, as the API takes it", () => {
    expect(replyBody(FORM, { f1: " 李电政、张工 ", f2: 2, f3: "138 0000 0000", f4: "", f5: "2026-12-10", f6: null })).toEqual({
      f1: "李电政、张工",
      f2: 2,
      f3: "13800000000",
      f5: "2026-12-10",
    });
  });

  it("reads a value for the table", () => {
    expect(valueText(undefined)).toBe("—");
    expect(valueText("")).toBe("—");
    expect(valueText(0)).toBe("0");
    expect(valueText("是")).toBe("是");
  });

  it("puts the server's refusal next to the field it names", () => {
    expect(replyRefusal("missing_field", "人数 is required (必填)", FORM)).toEqual({ key: "f2", message: "请填写人数" });
    expect(replyRefusal("invalid_field_value", "联系电话: a telephone or mobile number is expected", FORM)).toEqual({ key: "f3", message: "联系电话填写有误" });
    expect(replyRefusal("missing_field", "something else", FORM)).toEqual({ key: null, message: "有必填项未填写" });
    expect(replyRefusal("unknown_field", "the form has no field 'zz'", FORM)?.key).toBeNull();
    expect(replyRefusal("deadline_passed", "", FORM)).toBeNull();
  });
});
