// Driven by scripts/screenshots: onboard over REST, then walk the UI in Chromium.
// Usage: node scripts/screenshots.js BASE_URL OUT_DIR [LANGUAGE]
// LANGUAGE (default en) is Home Assistant's language and the user's profile
// language; the texts the walk waits for are read from that translation.
'use strict';
const path = require('path');
const { chromium } = require('playwright-core');

const [base, out, language = 'en'] = process.argv.slice(2);
const strings = require(path.join(__dirname, '..', 'custom_components', 'powertracker',
  'translations', `${language}.json`));
// The frontend's own words the walk clicks, per language (Home Assistant's translations).
const ui = {
  en: { submit: /^submit$/i, configure: /^configure$/i, addGrid: /add (consumption|grid)/i, year: /^year$/i, thisYear: /this year/i },
  sv: { submit: /^bekräfta$/i, configure: /^konfigurera$/i, addGrid: /lägg till (förbrukning|elnät|nät)/i, year: /^år$/i, thisYear: /(i år|detta år|det här året)/i },
}[language] || {};
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const token = 'powertracker-simulator-token';
const clientId = `${base}/`;

async function post(path, body, headers = {}, form = false) {
  const reply = await fetch(base + path, {
    method: 'POST',
    headers: {
      'Content-Type': form ? 'application/x-www-form-urlencoded' : 'application/json',
      ...headers,
    },
    body: form ? new URLSearchParams(body).toString() : JSON.stringify(body),
  });
  if (!reply.ok) throw new Error(`${path}: HTTP ${reply.status}`);
  return reply.json();
}

async function onboard() {
  const user = await post('/api/onboarding/users', {
    client_id: clientId, name: 'Screenshots', username: 'shots',
    password: 'screenshots-password', language,
  });
  const tokens = await post('/auth/token', {
    grant_type: 'authorization_code', code: user.auth_code, client_id: clientId,
  }, {}, true);
  const auth = { Authorization: `Bearer ${tokens.access_token}` };
  await post('/api/onboarding/core_config', {}, auth);
  await post('/api/onboarding/analytics', {}, auth);
  await post('/api/onboarding/integration', { client_id: clientId, redirect_uri: clientId }, auth);
  return tokens;
}

// One websocket command from the page (Node 20 has no WebSocket of its own).
function wsCommand(page, accessToken, message) {
  return page.evaluate(([url, accessToken, message]) => new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.onmessage = (event) => {
      const data = JSON.parse(event.data);
      if (data.type === 'auth_required') ws.send(JSON.stringify({ type: 'auth', access_token: accessToken }));
      else if (data.type === 'auth_ok') ws.send(JSON.stringify({ id: 1, ...message }));
      else if (data.id === 1) { ws.close(); resolve(data); }
    };
  }), [`${base.replace('http', 'ws')}/api/websocket`, accessToken, message]);
}

(async () => {
  const tokens = await onboard();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: language });
  const shot = async (name) => {
    await page.screenshot({ path: `${out}/${name}.png` });
    console.log(`screenshots: ${name}.png`);
  };
  await page.goto(`${base}/robots.txt`);
  await page.evaluate(([t, b, c]) => localStorage.setItem('hassTokens', JSON.stringify(
    { ...t, hassUrl: b, clientId: c, expires: Date.now() + t.expires_in * 1000 })), [tokens, base, clientId]);
  // Home Assistant's language names the entities; the profile's is the frontend's.
  // The simulated homes are in Stockholm and pay in SEK: so does the server, as their owner's would.
  const core = await wsCommand(page, tokens.access_token, {
    type: 'config/core/update', language, time_zone: 'Europe/Stockholm', currency: 'SEK',
  });
  console.log(`screenshots: config/core/update language ${language}: ${core.success ? 'ok' : JSON.stringify(core.error)}`);
  await wsCommand(page, tokens.access_token, {
    type: 'frontend/set_user_data', key: 'language',
    value: { language, number_format: 'language', time_format: 'language' },
  });
  await page.evaluate((l) => localStorage.setItem('selectedLanguage', JSON.stringify(l)), language);

  await page.goto(`${base}/config/integrations/dashboard/add?domain=powertracker`);
  await page.getByRole('button', { name: 'OK' }).click({ timeout: 60000 });
  const field = page.locator('input[type=password]');
  await field.waitFor({ timeout: 300000 }); // the first start installs the requirements
  await page.waitForTimeout(2000);
  await shot('01-token');
  await field.fill('not-a-token');
  await page.getByRole('button', { name: ui.submit }).click();
  await page.getByText(strings.config.error.invalid_auth).waitFor({ timeout: 30000 });
  await shot('02-wrong-token');
  await field.fill(token);
  await page.getByRole('button', { name: ui.submit }).click();
  await page.getByText(new RegExp(escape(strings.config.step.homes.title))).first().waitFor({ timeout: 30000 });
  await page.getByText(strings.config.step.homes.data_description.homes).waitFor({ timeout: 30000 });
  await shot('03-homes');
  await page.getByRole('button', { name: ui.submit }).click();
  await page.waitForTimeout(8000);
  await shot('04-created');
  await page.keyboard.press('Escape');

  await page.goto(`${base}/config/integrations/integration/powertracker`);
  await page.waitForTimeout(4000);
  await shot('05-entry');
  await page.goto(`${base}/config/devices/dashboard`);
  await page.getByText('Villa Solsidan').first().click({ timeout: 30000 });
  await page.waitForTimeout(5000);
  await shot('06-device-villa');
  // A dashboard of its own with both homes' usage charts, as a user would make it
  // (the default one is a generated overview in 2026.x).
  // The image entities' ids follow the language their names were made in.
  const registry = await wsCommand(page, tokens.access_token, { type: 'config/entity_registry/list' });
  const chartIds = registry.result
    .filter((e) => e.platform === 'powertracker' && e.unique_id.endsWith('_usage_chart'))
    .map((e) => e.entity_id)
    .sort()
    .reverse(); // the villa first, as before
  await wsCommand(page, tokens.access_token, {
    type: 'lovelace/dashboards/create', url_path: 'power-charts', title: 'Powertracker',
    icon: 'mdi:chart-bar', mode: 'storage', require_admin: false, show_in_sidebar: true,
  });
  const charts = await wsCommand(page, tokens.access_token, {
    type: 'lovelace/config/save',
    url_path: 'power-charts',
    config: { views: [{ title: 'Powertracker', cards: chartIds.map((entity) => (
      { type: 'picture-entity', entity, show_state: false, show_name: false })) }] },
  });
  console.log(`screenshots: lovelace/config/save: ${charts.success ? 'ok' : JSON.stringify(charts.error)}`);
  // The charts show the imported year once it has landed: wait for the
  // cabin's monthly statistics (its import comes last) to reach back a year.
  const months = async () => {
    const reply = await wsCommand(page, tokens.access_token, {
      type: 'recorder/statistics_during_period',
      start_time: new Date(Date.now() - 400 * 86400e3).toISOString(),
      statistic_ids: ['powertracker:sjovagen_7_hourly_consumption_68e6938b'],
      period: 'month',
      types: ['change'],
    });
    return Object.values(reply.result || {})[0]?.length || 0;
  };
  for (let i = 0; i < 90 && (await months()) < 12; i += 1) await page.waitForTimeout(2000);
  await page.waitForTimeout(5000);
  await page.goto(`${base}/power-charts/0`);
  await page.waitForTimeout(8000);
  await shot('07-charts');

  // The Energy dashboard's consumption picker: what the README says to pick.
  await page.goto(`${base}/config/energy`);
  try {
    await page.getByRole('button', { name: ui.addGrid }).first().click({ timeout: 20000 });
    await page.waitForTimeout(2000);
    const picker = page.locator('ha-statistic-picker').first();
    await picker.click({ timeout: 10000 });
    await page.waitForTimeout(3000); // the list of every energy statistic
    // What the README says to type: the home's name finds its statistics.
    await page.keyboard.type('Villa Solsidan', { delay: 50 });
    await page.waitForTimeout(2000);

    await shot('08-energy-picker');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
  } catch (err) {
    console.log(`screenshots: energy picker not reached: ${err.message.split('\n')[0]}`);
  }

  // The ids of the README: the home's name, hourly, the kind, Tibber's id's first 8.
  const stat = (home, kind) => `powertracker:${home[0]}_hourly_${kind}_${home[1]}`;
  const villa = ['villa_solsidan', 'c70dcbe5'];
  const cabin = ['sjovagen_7', '68e6938b'];
  const grid = (home, production) => ({
    type: 'grid',
    stat_energy_from: stat(home, 'consumption'),
    stat_energy_to: production ? stat(home, 'production') : null,
    stat_cost: stat(home, 'cost'),
    entity_energy_price: null,
    number_energy_price: null,
    stat_compensation: production ? stat(home, 'compensation') : null,
    entity_energy_price_export: null,
    number_energy_price_export: null,
    cost_adjustment_day: 0,
  });
  // Before 2026.x: one grid source with a list of flows each way.
  const legacy = {
    type: 'grid',
    flow_from: [villa, cabin].map((home) => ({
      stat_energy_from: stat(home, 'consumption'),
      stat_cost: stat(home, 'cost'),
      entity_energy_price: null,
      number_energy_price: null,
    })),
    flow_to: [{
      stat_energy_to: stat(villa, 'production'),
      stat_compensation: stat(villa, 'compensation'),
      entity_energy_price: null,
      number_energy_price: null,
    }],
    cost_adjustment_day: 0,
  };
  // The unified grid source of HA 2026.x; flow_from/flow_to lists before.
  let prefs = await wsCommand(page, tokens.access_token, {
    type: 'energy/save_prefs',
    energy_sources: [grid(villa, true), grid(cabin, false)],
    device_consumption: [],
  });
  if (!prefs.success) {
    prefs = await wsCommand(page, tokens.access_token, {
      type: 'energy/save_prefs',
      energy_sources: [legacy],
      device_consumption: [],
    });
  }
  console.log(`screenshots: energy/save_prefs: ${prefs.success ? 'ok' : JSON.stringify(prefs.error)}`);
  await page.goto(`${base}/energy`);
  await page.waitForTimeout(8000);
  await shot('09-energy-today');
  // A year: the toggle buttons of 2025.x, or the date picker's preset in 2026.x.
  try {
    const year = page.getByRole('button', { name: ui.year });
    if (await year.count()) {
      await year.first().click({ timeout: 10000 });
    } else {
      const today = new Date().toLocaleDateString(language, { month: 'short', day: 'numeric' });
      await page.getByText(today, { exact: true }).first().click({ timeout: 10000 });
      await page.getByText(ui.thisYear).first().click({ timeout: 10000 });
    }
    await page.waitForTimeout(8000);
    await shot('10-energy-year');
  } catch (err) {
    console.log(`screenshots: energy year not reached: ${err.message.split('\n')[0]}`);
  }

  // A capacity tariff on the villa (Ellevio; the year of history is in by
  // now): the select and the sensors it brings on the device page, then the
  // month so far at 1h with the counted peaks marked and the billed level.
  const villaId = 'c70dcbe5-4485-4821-933d-a8a86452737b';
  const listed = await wsCommand(page, tokens.access_token, { type: 'config/entity_registry/list' });
  const tariff = listed.result.find((e) => e.unique_id === `${villaId}_capacity_tariff`);
  const chosen = await wsCommand(page, tokens.access_token, {
    type: 'call_service', domain: 'select', service: 'select_option',
    service_data: { option: 'ellevio' }, target: { entity_id: tariff.entity_id },
  });
  console.log(`screenshots: ${tariff.entity_id} ellevio: ${chosen.success ? 'ok' : JSON.stringify(chosen.error)}`);
  await page.waitForTimeout(5000); // the month is read, the sensors added
  await page.setViewportSize({ width: 1280, height: 1500 }); // the page scrolls inside
  await page.goto(`${base}/config/devices/device/${tariff.device_id}`);
  await page.waitForTimeout(6000);
  await shot('11-device-villa-tariff');
  await page.setViewportSize({ width: 1280, height: 900 });
  const now = new Date();
  const first = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-01`;
  const chart = await fetch(
    `${base}/api/powertracker/export?home=${villaId}&output=png&aggregate=1h&from=${first}`,
    { headers: { Authorization: `Bearer ${tokens.access_token}` } },
  );
  if (!chart.ok) throw new Error(`month chart: HTTP ${chart.status}: ${await chart.text()}`);
  require('fs').writeFileSync(`${out}/12-month-chart-tariff.png`, Buffer.from(await chart.arrayBuffer()));
  console.log('screenshots: 12-month-chart-tariff.png (the export\'s own PNG)');

  // The villa's 12 whole months, the current one to date, on the day of setup.
  try {
    const of = (suffix) => listed.result.find((e) => e.unique_id === `${villaId}_${suffix}`).entity_id;
    await wsCommand(page, tokens.access_token, {
      type: 'call_service', domain: 'select', service: 'select_option',
      service_data: { option: 'year' }, target: { entity_id: of('chart_period') },
    });
    await page.waitForTimeout(3000);
    const year = await fetch(`${base}/api/image_proxy/${of('usage_chart')}`,
      { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    if (!year.ok) throw new Error(`HTTP ${year.status}`);
    require('fs').writeFileSync(`${out}/13-chart-12-months.png`, Buffer.from(await year.arrayBuffer()));
    console.log('screenshots: 13-chart-12-months.png (the image entity\'s own PNG)');
  } catch (err) {
    console.log(`screenshots: 12-month chart not reached: ${err.message.split('\n')[0]}`);
  }

  // The options with steps that cannot be: the capacity section opens on its error.
  try {
    const capacity = strings.options.step.init.sections.capacity;
    await page.setViewportSize({ width: 1280, height: 1400 });
    await page.goto(`${base}/config/integrations/integration/powertracker`);
    await page.getByRole('button', { name: ui.configure }).first().click({ timeout: 30000 });
    await page.getByText(capacity.name, { exact: true }).first().click({ timeout: 20000 });
    await page.locator('textarea').first().fill('0: 1440, 5: 2400, 2: 4032');
    await page.getByRole('button', { name: ui.submit }).click();
    await page.getByText(strings.options.error.brackets_invalid).waitFor({ timeout: 20000 });
    await page.locator('textarea').first().scrollIntoViewIfNeeded({ timeout: 10000 });
    await page.waitForTimeout(1000);
    await shot('14-options-capacity-error');
  } catch (err) {
    console.log(`screenshots: options not reached: ${err.message.split('\n')[0]}`);
  }
  await browser.close();
})().catch((err) => { console.error(err); process.exit(1); });
