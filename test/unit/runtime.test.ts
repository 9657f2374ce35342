import { afterEach, describe, expect, it } from "vitest";
import { limitStackTraces } from "../../config/runtime";

describe("stack trace limit", () => {
    const original = Error.stackTraceLimit;
    afterEach(() => {
        Error.stackTraceLimit = original;
    });

    it("turns stack capture off unless asked, and honours an explicit limit", () => {
        expect(limitStackTraces({})).toBe(0);
        expect(new Error("x").stack).toBe("Error: x");
        expect(limitStackTraces({ PICLUSTER_STACK_TRACE_LIMIT: "25" })).toBe(25);
        expect(limitStackTraces({ PICLUSTER_STACK_TRACE_LIMIT: "lots" })).toBe(0);
    });
});
