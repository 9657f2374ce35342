import type { RenderedFiles } from "./renderFiles";
import { offlineSecret, OFFLINE_SSH_KEY_MARK } from "./stackFile";

/*
 * The secret-leak check: offline builds hold every secret as a recognisable
 * stand-in (stackFile.ts, offlineEngine.ts), so a stand-in in rendered output
 * is a secret that reached plain (unredacted) values.
 */

/** Substrings whose presence in rendered output means a secret leaked into plain state. */
export const SECRET_SENTINELS = [offlineSecret(""), OFFLINE_SSH_KEY_MARK];

/** Files that contain a secret stand-in: proof that a secret reached plain inputs. */
export function leakedSecrets(files: RenderedFiles): string[] {
    return [...files].filter(([, content]) => SECRET_SENTINELS.some((s) => content.includes(s))).map(([file]) => file);
}
