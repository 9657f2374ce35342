import { describe, expect, it } from "vitest";
import { cronProblem } from "../../../config/cron";

// Cases read from robfig/cron v3's standard parser, which Kubernetes' CronJob
// validation and k3s's etcd-snapshot-schedule-cron both use.
describe("cron schedules as Kubernetes and k3s parse them", () => {
    it.each(["0 */12 * * *", "15 2,14 * * 1-5", "0 0 * * MON-FRI", "0 0 1 jan,jul *", "30 3 ? * SUN", "0 6/4 * * *", "@daily", "@Weekly", "0 0 31 2 *"])("accepts %s", (cron) => {
        expect(cronProblem(cron)).toBeUndefined();
    });

    it("refuses day-of-week 7, which Kubernetes' parser rejects although classic cron allows it", () => {
        expect(cronProblem("0 0 * * 7")).toMatch(/day-of-week field '7'.*outside 0-6.*Sunday is 0/);
    });

    it("refuses a range that wraps midnight and names the list that means the same", () => {
        expect(cronProblem("0 22-2 * * *")).toMatch(/hour field '22-2'.*runs backwards.*'22-23,0-2'/);
        expect(cronProblem("0 0 * * FRI-MON")).toMatch(/runs backwards/);
    });

    it.each([
        ["0 */0 * * *", /step '0'/],
        ["61 * * * *", /minute field '61'.*outside 0-59/],
        ["0 0 0 * *", /day-of-month.*outside 1-31/],
        ["0 0 * 13 *", /month.*outside 1-12/],
        ["0 0 * * MONDAY", /not a number or a name/],
        ["0 0 1,,2 * *", /empty list item/],
        ["0 0 * *", /has 4 field/],
        ["* * * * * *", /has 6 field/],
        ["@every 1h", /descriptor/],
        ["@reboot", /descriptor/],
        ["TZ=UTC 0 0 * * *", /time zone/],
        ["0 1-2-3 * * *", /more than one '-'/],
        ["0 1/2/3 * * *", /more than one '\/'/],
    ])("refuses %s", (cron, why) => {
        expect(cronProblem(cron)).toMatch(why);
    });
});
