import { describe, expect, it } from "vitest";
import { scanProblem } from "./upload";

describe("scan checks before upload", () => {
  it("accepts the scan types the server takes", () => {
    for (const name of ["a.pdf", "b.PDF", "c.ofd", "d.jpg", "e.jpeg", "f.png", "g.tif", "h.TIFF"]) {
      expect(scanProblem({ name, size: 10 })).toBeNull();
    }
  });
  it("refuses other types, empty and too large files, each with its reason", () => {
    expect(scanProblem({ name: "notes.docx", size: 10 })).toContain("文件类型不支持");
    expect(scanProblem({ name: "noextension", size: 10 })).toContain("文件类型不支持");
    expect(scanProblem({ name: "a.pdf", size: 0 })).toBe("文件为空");
    expect(scanProblem({ name: "a.pdf", size: 51 * 1024 * 1024 })).toBe("文件过大（51.0 MB，上限 50.0 MB）");
  });
});
