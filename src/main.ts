// Entry point of the skiff executable: answer --version at once, load the CLI for the rest.
declare const SKIFF_VERSION: string;
declare const SKIFF_COMMIT: string;

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`skiff version ${SKIFF_VERSION}, build ${SKIFF_COMMIT}\n`);
} else {
  import('./cli/main').then((m) => m.main(argv));
}
