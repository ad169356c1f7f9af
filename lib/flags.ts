/** The value after `flag` on a command line ("--base main" -> "main"), if the flag is there. */
export function flagValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}
