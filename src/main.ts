import { parseArgs } from 'node:util';
import { projectCreate, userCreate } from './cli/accounts.js';
import { openRuntime, say } from './cli/runtime.js';
import { scanCommand } from './cli/scan.js';
import { securityMd } from './cli/security-md.js';
import { dbCommand } from './cli/vulndb.js';
import { parseRoles, serve } from './cli/serve.js';
import { isDomainError } from './errors.js';

const USAGE = `Usage: embargo <command> [options]

Commands:
  serve [--roles web,worker,mail-in]
                                   Run the server (default: every role in one process)
  migrate                          Apply pending database migrations and exit
  user create --email E --name N [--admin] [--password-stdin]
                                   Create a team account (prints a one-time setup link
                                   unless a password is read from standard input)
  project create --slug S --name N [--repo URL] [--contact EMAIL] [--ack-hours H] [--admin EMAIL]
                                   Create a project, optionally with its first admin
  security-md --project S          Print the project's SECURITY.md (as /p/S/SECURITY.md serves it)
  scan [--db D] [--format F] <path>...
                                   Scan lockfiles and SBOMs for known vulnerabilities, offline
                                   (embargo scan --help for every option)
  db import [--db D] <path>...     Import OSV records (files, folders, zips) into the database
  db stats [--db D]                Count the database's vulnerabilities by ecosystem

Configuration comes from environment variables; see the README.`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new Error(`--${flag} is required`);
  return value;
}

async function main(argv: string[]): Promise<void> {
  const [command, sub] = argv;
  // These take positional paths and options of their own, and set the exit code.
  if (command === 'scan') {
    process.exitCode = await scanCommand(argv.slice(1));
    return;
  }
  if (command === 'db') {
    process.exitCode = await dbCommand(argv.slice(1));
    return;
  }
  const rest = argv.slice(command === 'user' || command === 'project' ? 2 : 1);
  const { values } = parseArgs({
    args: rest,
    options: {
      roles: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      admin: { type: command === 'user' ? 'boolean' : 'string' },
      'password-stdin': { type: 'boolean' },
      slug: { type: 'string' },
      repo: { type: 'string' },
      contact: { type: 'string' },
      'ack-hours': { type: 'string' },
      project: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help || !command) {
    say(USAGE);
    return;
  }
  if (command === 'serve') return serve({ roles: parseRoles(values.roles) });
  if (command === 'migrate') {
    const runtime = await openRuntime();
    say('Database is at the latest migration.');
    return runtime.close();
  }
  if (command === 'user' && sub === 'create') {
    return userCreate({
      email: required(values.email, 'email'),
      name: required(values.name, 'name'),
      admin: values.admin === true,
      password: values['password-stdin'] ? await readStdin() : undefined,
    });
  }
  if (command === 'project' && sub === 'create') {
    const hours = values['ack-hours'];
    return projectCreate({
      slug: required(values.slug, 'slug'),
      name: required(values.name, 'name'),
      repositoryUrl: values.repo,
      securityContact: values.contact,
      ackTargetHours: hours === undefined ? undefined : Number(hours),
      adminEmail: typeof values.admin === 'string' ? values.admin : undefined,
    });
  }
  if (command === 'security-md') return securityMd({ slug: required(values.project, 'project') });
  throw new Error(`unknown command "${argv.join(' ')}"\n\n${USAGE}`);
}

// A reader that stops early (`embargo scan . | head`) closes the pipe: that is not an error of ours.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).catch((err: unknown) => {
  if (isDomainError(err)) process.stderr.write(`embargo: ${err.code}: ${err.message}\n`);
  else process.stderr.write(`embargo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(isDomainError(err) ? 2 : 1);
});
