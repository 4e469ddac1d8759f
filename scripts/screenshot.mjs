// Takes the README's picture of the dashboard from a running service, in Debian's Chromium:
//
//   npm run cli -- demo                        # prints the start command and a sign-in
//   DATABASE_URL=…_demo QUEUE_PREFIX='{handlingsplan-demo}' YEARLY_ROUND=false npm start &
//   node scripts/screenshot.mjs http://localhost:3000 demo@example.org '<password>' docs/dashboard-overview.png
import { chromium } from 'playwright-core';

const [base = 'http://localhost:3000', email, password, out = 'docs/dashboard-overview.png'] = process.argv.slice(2);
if (!email || !password) {
  console.error('usage: node scripts/screenshot.mjs <base url> <email> <password> [out.png]');
  process.exit(64);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1320 }, deviceScaleFactor: 1 });
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/`);
  await page.screenshot({ path: out, fullPage: false });
  console.log(`written: ${out}`);
} finally {
  await browser.close();
}
