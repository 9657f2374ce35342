/** `--help` or `-h` anywhere on the command line: the CLI prints its usage and does nothing else. */
export function helpRequested(argv: string[]): boolean {
    return argv.includes("--help") || argv.includes("-h");
}
