/*
 * The cron grammar Kubernetes' CronJob controller and k3s's etcd snapshot
 * schedule both accept: robfig/cron v3's standard parser (five fields or a
 * descriptor). One parser for every cron key, so a schedule the plan accepts
 * is one the cluster runs. Facts from robfig/cron v3 parser.go: day-of-week
 * is 0-6 (7 is refused), names JAN-DEC and SUN-SAT (any case), `?` stands
 * for `*`, a range must not run backwards (no wrap past midnight or
 * Saturday), a step must be positive, `a/n` means `a-max/n`.
 */

interface CronField {
    name: string;
    min: number;
    max: number;
    names?: string[];
}

const FIELDS: CronField[] = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day-of-month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
    { name: "day-of-week", min: 0, max: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

/** Descriptors the standard parser accepts (`@every` is left out: Kubernetes' docs do not support it). */
export const CRON_DESCRIPTORS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

const EXAMPLE = `e.g. "0 */12 * * *"`;

function valueOf(token: string, field: CronField): number | undefined {
    if (/^\d+$/.test(token)) return Number(token);
    const named = field.names?.indexOf(token.toUpperCase()) ?? -1;
    // robfig/cron numbers months from 1 and weekdays from 0.
    return named >= 0 ? named + (field.name === "month" ? 1 : 0) : undefined;
}

function partProblem(part: string, field: CronField): string | undefined {
    const [range, step, extra] = part.split("/");
    if (extra !== undefined) return "has more than one '/'";
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0)) return `has step '${step}'; a step is a positive whole number`;
    if (range === "*" || range === "?") return undefined;
    const bounds = range.split("-");
    if (bounds.length > 2) return `has range '${range}' with more than one '-'`;
    const values = bounds.map((b) => valueOf(b, field));
    const bad = bounds.find((_b, i) => values[i] === undefined);
    if (bad !== undefined) return `has '${bad}', which is not a number${field.names ? " or a name" : ""}`;
    const [lo, hi = lo] = values as number[];
    const out = [lo, hi].find((v) => v < field.min || v > field.max);
    if (out !== undefined) return `has ${out}, outside ${field.min}-${field.max}${field.name === "day-of-week" ? " (Sunday is 0; 7 is refused)" : ""}`;
    if (lo > hi) return `has range '${range}' that runs backwards; ranges cannot wrap (split it into a list: '${bounds[0]}-${field.max},${field.min}-${bounds[1]}')`;
    return undefined;
}

/** Why `cron` is not a schedule Kubernetes and k3s accept, or undefined when it is. */
export function cronProblem(cron: string): string | undefined {
    const text = cron.trim();
    if (text.startsWith("@")) {
        return CRON_DESCRIPTORS.includes(text.toLowerCase()) ? undefined : `is the descriptor '${text}'; use five fields or one of ${CRON_DESCRIPTORS.join(", ")}, ${EXAMPLE}`;
    }
    if (/^(CRON_)?TZ=/.test(text)) return `sets a time zone inside the schedule, which Kubernetes refuses; drop the TZ= prefix, ${EXAMPLE}`;
    const fields = text.split(/\s+/);
    if (fields.length !== 5) return `has ${fields.length} field(s); use five: minute hour day-of-month month day-of-week, ${EXAMPLE}`;
    for (let i = 0; i < 5; i++) {
        for (const part of fields[i].split(",")) {
            const why = part === "" ? "has an empty list item" : partProblem(part, FIELDS[i]);
            if (why) return `has an invalid ${FIELDS[i].name} field '${fields[i]}': it ${why}; ${EXAMPLE}`;
        }
    }
    return undefined;
}
