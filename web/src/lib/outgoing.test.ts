import { describe, expect, it } from "vitest";
import { ApiError } from "./errors";
import {
  actionButtons,
  awaitedCountersigners,
  countersigners,
  editableStage,
  fileKind,
  fileProblem,
  heldTasks,
  lastActedByMe,
  outgoingMessage,
  owningUnit,
  settled,
  signerLine,
  stageLabel,
} from "./outgoing";

const MB = 1024 * 1024;

describe("outgoing", () => {
  it("reads the stages in Chinese", () => {
    expect(stageLabel("issue")).toBe("待签发");
    expect(stageLabel("archive")).toBe("已分发");
    expect(stageLabel("archived")).toBe("已归档");
    expect(stageLabel(null)).toBe("—");
    expect(editableStage("countersign")).toBe(true);
    expect(editableStage("issue")).toBe(false);
  });

  it("offers the buttons in route order with 退回 last", () => {
    expect(actionButtons(["return", "check"])).toEqual(["check", "return"]);
    expect(actionButtons(["instruct", "issue"])).toEqual(["issue"]);
  });

  it("checks the body by its name before sending it", () => {
    expect(fileProblem({ name: "正文.docx", size: 10 }, "body", MB)).toBeNull();
    expect(fileProblem({ name: "正文.OFD", size: 10 }, "body", MB)).toBeNull();
    expect(fileProblem({ name: "扫描.png", size: 10 }, "body", MB)).toContain("正文仅限 DOCX、PDF、OFD");
    expect(fileProblem({ name: "扫描.png", size: 10 }, "attachment", MB)).toBeNull();
    expect(fileProblem({ name: "setup.exe", size: 10 }, "attachment", MB)).toContain("附件仅限");
    expect(fileProblem({ name: "正文.docx", size: 0 }, "body", MB)).toBe("文件为空");
    expect(fileProblem({ name: "正文.docx", size: 2 * MB }, "body", MB)).toContain("文件过大");
  });

  it("names a file's kind from its sniffed type", () => {
    expect(fileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document")).toBe("DOCX");
    expect(fileKind("application/pdf")).toBe("PDF");
    expect(fileKind("application/ofd")).toBe("OFD");
    expect(fileKind("application/octet-stream", "a.xyz")).toBe("XYZ");
  });

  it("reads the refusals in Chinese, the file type by what was sent", () => {
    const exe = new ApiError(422, "file_type_not_allowed", "x.docx: the body (正文) must be a DOCX, PDF or OFD file");
    expect(outgoingMessage(exe, "body")).toBe("文件类型不支持（正文仅限 DOCX、PDF、OFD）");
    expect(outgoingMessage(exe, "attachment")).toContain("附件仅限");
    expect(outgoingMessage(new ApiError(422, "signer_required", "x"))).toBe("请选择一位签发领导");
    expect(outgoingMessage(new ApiError(409, "next_holder_acted", "x"))).toBe("下一环节已经办理，不能撤回");
    expect(outgoingMessage(new ApiError(409, "something_new", "the server says so"))).toBe("the server says so");
    expect(outgoingMessage(new ApiError(503, "not_sealed", "x"))).toContain("服务暂时不可用");
  });

  it("finds the unit a division numbers in", () => {
    const units = [
      { id: "root", kind: "unit", parent_id: null },
      { id: "div", kind: "division", parent_id: "root" },
      { id: "bureau", kind: "unit", parent_id: "root" },
      { id: "sec", kind: "division", parent_id: "bureau" },
    ];
    expect(owningUnit(units, "div")).toBe("root");
    expect(owningUnit(units, "sec")).toBe("bureau");
    expect(owningUnit(units, "bureau")).toBe("bureau");
    expect(owningUnit(units, "nowhere")).toBeNull();
    expect(countersigners([...units, { id: "old", kind: "division", parent_id: "root", active: false }], "div").map((u) => u.id)).toEqual([
      "sec",
    ]);
  });

  it("knows which tasks are held and which 会签 are awaited", () => {
    const route = [
      { id: "1", step: "check", status: "done", allowed_actions: [] },
      { id: "2", step: "countersign", status: "done", unit_id: "a", allowed_actions: [] },
      { id: "3", step: "countersign", status: "open", unit_id: "b", allowed_actions: [] },
      { id: "4", step: "countersign", status: "open", unit_id: "c", allowed_actions: ["countersign", "return"] },
    ];
    expect(heldTasks(route).map((t) => t.id)).toEqual(["4"]);
    expect(awaitedCountersigners(route).map((t) => t.unit_id)).toEqual(["b", "c"]);
  });

  it("offers 撤回 only while nobody acted after me", () => {
    const mine = { id: "m", step: "draft", status: "done", completed_at: "2026-01-01T01:00:00Z" };
    const later = { id: "l", step: "check", status: "done", completed_at: "2026-01-01T02:00:00Z" };
    const open = { id: "o", step: "issue", status: "open" };
    expect(lastActedByMe([mine, open], mine)).toBe(mine);
    expect(lastActedByMe([mine, later, open], mine)).toBeNull();
    expect(lastActedByMe([mine, open], null)).toBeNull();
  });

  it("signs the slip for the leader, noting the secretary who entered it", () => {
    expect(signerLine({ signer_name: "赵厅长", issue_entered_by_name: "孙秘书" })).toBe("赵厅长（秘书 孙秘书 代录）");
    expect(signerLine({ signer_name: "赵厅长" })).toBe("赵厅长");
    expect(signerLine({})).toBe("");
  });

  it("waits for the stage to move on and the step's record", () => {
    expect(settled("issue", "issue", { stage: "issue", issued_at: null }, true)).toBe(false);
    expect(settled("issue", "issue", { stage: "number", issued_at: null }, true)).toBe(false);
    expect(settled("issue", "issue", { stage: "number", issued_at: "2026-01-01T00:00:00Z" }, true)).toBe(true);
    expect(settled("countersign", "countersign", { stage: "countersign" }, false)).toBe(true);
    expect(settled("submit", "draft", { stage: "check" }, true)).toBe(true);
  });
});
