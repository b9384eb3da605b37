/**
 * `hcp-workstation --cli <command> ...`: the installed app answers the IT CLI in its own main
 * process (no window, no single-instance lock, no ELECTRON_RUN_AS_NODE: the RunAsNode fuse stays
 * off). Returns the CLI's argv, or null for a normal start.
 */
export function cliArgsOf(argv: readonly string[]): string[] | null {
  const at = argv.indexOf('--cli');
  return at < 0 ? null : argv.slice(at + 1);
}
