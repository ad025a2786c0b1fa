/**
 * Drives Debian's Chromium (not a downloaded browser) with playwright-core for the web UI's tests,
 * and saves screenshots to `packages/ui/test-artifacts/` (git-ignored) for a person to look at.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The browser binary: Debian's package, or SLIPWAY_CHROMIUM. */
export const CHROMIUM = process.env['SLIPWAY_CHROMIUM'] ?? '/usr/bin/chromium';

/** The web UI's build the platform serves (made by `npm run build`). */
export const UI_DIST = fileURLToPath(new URL('../../../ui/dist', import.meta.url));

/** Where screenshots go. */
export const ARTIFACTS = fileURLToPath(new URL('../../../ui/test-artifacts', import.meta.url));

/** The size the UI is designed for. */
export const VIEWPORT = { width: 1280, height: 800 };

/**
 * Flags for a closed network: without them Chromium keeps trying to reach Google's services at
 * start, and each refused connection costs time.
 */
const QUIET_FLAGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless Chromium; fails saying how to install it when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) or set SLIPWAY_CHROMIUM.`,
    );
  }
  if (!existsSync(join(UI_DIST, 'index.html'))) {
    throw new Error(`${UI_DIST} has no build: run \`npm run build\` first.`);
  }
  // Root cannot use Chromium's sandbox; playwright passes --no-sandbox unless chromiumSandbox is set.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: QUIET_FLAGS });
}

/** Saves a full-viewport screenshot as `<name>.png` in the artifacts folder and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
