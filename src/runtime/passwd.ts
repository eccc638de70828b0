// Resolves `--user` as runc does, from the image's /etc/passwd and /etc/group read through its layers.
import { lstatSync, readFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, SkiffError } from '../errors';

export interface ExecUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0], uid, gid, home: f[5] });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    out.push({ name: f[0], gid, members: f[3].split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return out;
}

const numeric = (s: string): boolean => /^[0-9]+$/.test(s);

/**
 * runc's GetExecUser: `name|uid[:group|gid]`. A numeric uid missing from passwd is allowed (gid 0,
 * home /); a name must exist. Supplementary groups are those listing the user by name, as runc adds.
 */
export function resolveUser(spec: string, passwdText: string | undefined, groupText: string | undefined): ExecUser {
  const [userPart, groupPart] = spec === '' ? ['0', undefined] : spec.split(':', 2);
  const users = parsePasswd(passwdText ?? '');
  const groups = parseGroup(groupText ?? '');
  let entry = users.find((u) => (numeric(userPart) ? u.uid === Number(userPart) : u.name === userPart));
  if (!entry) {
    if (!numeric(userPart)) throw new SkiffError(`unable to find user ${userPart}: no matching entries in passwd file`, ExitCode.engine);
    entry = { name: '', uid: Number(userPart), gid: 0, home: '/' };
  }
  let gid = entry.gid;
  if (groupPart !== undefined && groupPart !== '') {
    if (numeric(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new SkiffError(`unable to find group ${groupPart}: no matching entries in group file`, ExitCode.engine);
      gid = g.gid;
    }
  }
  const additionalGids = entry.name
    ? [...new Set(groups.filter((g) => g.members.includes(entry!.name) && g.gid !== gid).map((g) => g.gid))]
    : [];
  return { uid: entry.uid, gid, additionalGids, home: entry.home || '/' };
}

/**
 * Reads a file of the image as the container will see it: the topmost layer that has it wins; a
 * whiteout (a 0:0 character device) on the path or a parent in a higher layer hides lower ones.
 */
export async function readImageFile(layerDirsTopFirst: readonly string[], path: string): Promise<string | undefined> {
  const parts = path.replace(/^\/+/, '').split('/');
  for (const dir of layerDirsTopFirst) {
    let hidden = false;
    for (let i = 1; i <= parts.length; i++) {
      let st: Stats | undefined;
      try {
        st = lstatSync(join(dir, ...parts.slice(0, i)));
      } catch {
        // missing, or a directory of the layer the user may not search (owned by a subordinate id)
      }
      if (!st) break;
      if (st.isCharacterDevice() && st.rdev === 0) {
        hidden = true;
        break;
      }
      if (i === parts.length && st.isFile()) return readFileSync(join(dir, ...parts), 'utf8');
    }
    if (hidden) return undefined;
  }
  return undefined;
}
