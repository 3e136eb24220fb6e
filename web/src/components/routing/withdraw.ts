/** 撤回 after a confirmation: the task I acted on, while the next holder has not acted
 * (POST /tasks/{id}/withdraw). Null when the person thought better of it; the API's
 * refusal (409 next_holder_acted, nothing_to_withdraw …) is thrown. */
import { ElMessageBox } from "element-plus";
import { api, unwrap, type Schemas } from "../../api/client";

export async function withdrawAfterConfirm(task: { id: string; step_name: string; title?: string }): Promise<Schemas["ActResult"] | null> {
  try {
    await ElMessageBox.confirm(
      `撤回您在「${task.step_name}」环节的办理？下一环节尚未办理时可以撤回，撤回后该环节回到您的待办。`,
      "撤回",
      { confirmButtonText: "撤回", cancelButtonText: "取消", type: "warning" },
    );
  } catch {
    return null;
  }
  return unwrap(api.POST("/api/v1/tasks/{task_id}/withdraw", { params: { path: { task_id: task.id } } }));
}
