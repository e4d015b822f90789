// Loads HTML reports in headless Chromium over the DevTools pipe, checks them from inside the page, saves screenshots.
//
// Usage: node reports/tools/browser_check.mjs SPEC.json
// SPEC: {"chromium": PATH, "out": DIR, "pages": [{"name", "file", "exit", "gating": ["0:R9"],
//        "muted": ["0:S5"], "open": ["e0-R9"], "folded": ["e0-R1"], "hostile": bool, "history": bool,
//        "full": bool, "sections": ["matrix-section"]}]}
// Every page is rendered at 1400 px and at 420 px (as a phone). The checks run in the page
// (Runtime.evaluate) and read the layout and computed styles Chromium produced:
//   - at 420 px nothing overflows horizontally: the document is no wider than the viewport and no
//     element reaches past its right edge unless a scroll container clips it; the title columns
//     are hidden and the summary is stacked;
//   - every matrix cell listed in "gating" carries the gating style (solid red or purple fill,
//     white text, data-gate="gates"), every cell listed in "muted" the baselined one (dashed,
//     no fill), and no other cell looks gating;
//   - the banner's data-exit, its "exit N" text and its colour match the expected exit code;
//   - failure cards are open and PASS cards folded; hostile text stayed text.
// Screenshots: NAME-WIDTH.png (the first screen), NAME-WIDTH-full.png (the page, cut at 12000 px)
// and NAME-WIDTH-SECTION.png (one element by id, cut at 2400 px).
// Only Node's standard library: Chromium speaks the protocol over fds 3 and 4
// (--remote-debugging-pipe), NUL-terminated JSON messages.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const kWidths = [
  { width: 1400, height: 1000, mobile: false, tag: "1400" },
  { width: 420, height: 900, mobile: true, tag: "420" },
];
const kTimeoutMs = 60000;
const kMaxFullHeight = 12000;
const kMaxSectionHeight = 2400;

function Fail(message) {
  console.error(`browser_check: FAIL: ${message}`);
  process.exitCode = 1;
}

class Browser {
  constructor(chromium, profile) {
    const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--hide-scrollbars", "--font-render-hinting=none", `--user-data-dir=${profile}`,
      "--remote-debugging-pipe", "about:blank"];
    this.child = spawn(chromium, flags, { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
    this.log = "";
    this.child.stderr.on("data", (chunk) => { this.log += chunk; });
    this.next = 1;
    this.pending = new Map();
    this.listeners = [];
    this.buffer = Buffer.alloc(0);
    this.child.stdio[4].on("data", (chunk) => this.Receive(chunk));
    this.exited = new Promise((done) => this.child.on("exit", done));
  }

  Receive(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (let end = this.buffer.indexOf(0); end >= 0; end = this.buffer.indexOf(0)) {
      const message = JSON.parse(this.buffer.subarray(0, end).toString("utf8"));
      this.buffer = this.buffer.subarray(end + 1);
      if (message.id !== undefined && this.pending.has(message.id)) {
        const { done, fail, method } = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) fail(new Error(`${method}: ${message.error.message}`));
        else done(message.result);
      } else if (message.method) {
        for (const listener of [...this.listeners]) listener(message);
      }
    }
  }

  Send(method, params = {}, sessionId = undefined) {
    const id = this.next++;
    const message = { id, method, params };
    if (sessionId) message.sessionId = sessionId;
    return WithTimeout(new Promise((done, fail) => {
      this.pending.set(id, { done, fail, method });
      this.child.stdio[3].write(JSON.stringify(message) + "\0");
    }), `${method} did not answer`);
  }

  Event(method, sessionId) {
    return WithTimeout(new Promise((done) => {
      const listener = (message) => {
        if (message.method === method && message.sessionId === sessionId) {
          this.listeners.splice(this.listeners.indexOf(listener), 1);
          done(message.params);
        }
      };
      this.listeners.push(listener);
    }), `no ${method} event`);
  }

  async Close() {
    try {
      await this.Send("Browser.close");
    } catch {
      this.child.kill("SIGKILL");
    }
    await WithTimeout(this.exited, "chromium did not exit").catch(() => this.child.kill("SIGKILL"));
  }
}

function WithTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} within ${kTimeoutMs} ms`)), kTimeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Runs in the page: measures what a person would see and returns it as plain data.
function PageFacts(expect) {
  const rgb = (css) => {
    const probe = document.createElement("span");
    probe.style.color = css;
    document.body.appendChild(probe);
    const value = getComputedStyle(probe).color;
    probe.remove();
    return value;
  };
  const root = getComputedStyle(document.documentElement);
  const colours = {
    gate: rgb(root.getPropertyValue("--gate")),
    harness: rgb(root.getPropertyValue("--harness")),
    pass: rgb(root.getPropertyValue("--pass")),
    white: rgb("#fff"),
  };
  const viewport = document.documentElement.clientWidth;
  const describe = (element) =>
    element.tagName.toLowerCase() + (element.id ? `#${element.id}` : "") +
    (element.className && typeof element.className === "string"
      ? "." + element.className.trim().split(/\s+/).join(".") : "");
  const clipped = (element) => {
    for (let parent = element.parentElement; parent && parent !== document.body;
      parent = parent.parentElement) {
      const overflow = getComputedStyle(parent).overflowX;
      if (overflow !== "visible") return true;
    }
    return false;
  };
  const overflowing = [];
  for (const element of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(element);
    if (style.display === "none" || style.visibility === "hidden") continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > viewport + 0.5 && !clipped(element)) {
      overflowing.push(`${describe(element)} reaches ${Math.round(box.right)} px`);
      if (overflowing.length >= 8) break;
    }
  }
  const matrix = document.getElementById("matrix");
  const cells = [];
  if (matrix) {
    for (const row of matrix.tBodies[0].rows) {
      if (!row.id.startsWith("c-")) continue;
      const data = [...row.cells].filter((cell) => cell.classList.contains("cell"));
      data.forEach((cell, column) => {
        const chip = cell.querySelector(".v");
        const style = chip ? getComputedStyle(chip) : null;
        cells.push({
          key: `${column}:${row.id.slice(2)}`,
          gate: cell.dataset.gate,
          fill: style ? style.backgroundColor : "none",
          text: style ? style.color : "none",
          border: style ? style.borderTopStyle : "none",
          label: cell.textContent.trim(),
        });
      });
    }
  }
  const banner = document.getElementById("verdict");
  const bannerStyle = banner ? getComputedStyle(banner) : null;
  const box = banner ? banner.getBoundingClientRect() : null;
  const cards = {};
  for (const id of [...expect.open, ...expect.folded]) {
    const card = document.getElementById(id);
    cards[id] = card ? (card.tagName === "DETAILS" ? (card.open ? "open" : "folded") : "not details")
                     : "missing";
  }
  const titles = [...document.querySelectorAll(".title")];
  const summaryRows = [...document.querySelectorAll("table.summary tbody tr")];
  const text = document.body.innerText;
  return {
    viewport,
    documentWidth: document.documentElement.scrollWidth,
    overflowing,
    colours,
    cells,
    banner: banner ? {
      exit: banner.dataset.exit,
      gating: banner.dataset.gating,
      text: banner.innerText,
      fill: bannerStyle.backgroundColor,
      top: Math.round(box.top),
      height: Math.round(box.height),
    } : null,
    cards,
    titlesShown: titles.filter((element) => getComputedStyle(element).display !== "none").length,
    titles: titles.length,
    summaryStacked: summaryRows.length > 0 &&
      summaryRows.every((row) => getComputedStyle(row).display === "block"),
    injected: document.querySelectorAll("script, img, iframe, object, embed").length,
    hostileAsText: text.includes('<script>alert("owned")</script>') &&
      text.includes("</pre><img src=x onerror=alert(1)>"),
    history: !!document.getElementById("history") &&
      document.querySelectorAll("#history table.trend tbody tr").length,
    matrixHeaderSticky: matrix ? getComputedStyle(matrix.tHead.rows[0].cells[0]).position : "",
    firstColumnSticky: matrix && matrix.querySelector("tbody th.clause")
      ? getComputedStyle(matrix.querySelector("tbody th.clause")).position : "",
  };
}

function CheckFacts(page, width, facts) {
  const where = `${page.name} at ${width.tag} px`;
  let failures = 0;
  const check = (ok, message) => {
    if (!ok) {
      Fail(`${where}: ${message}`);
      ++failures;
    }
  };
  const gatingFills = [facts.colours.gate, facts.colours.harness];
  // The gate of every matrix cell, from the computed style.
  const gating = new Set(page.gating);
  const muted = new Set(page.muted);
  check(facts.cells.length > 0, "no matrix cells found");
  for (const cell of facts.cells) {
    const looksGating = gatingFills.includes(cell.fill) && cell.text === facts.colours.white;
    if (gating.has(cell.key)) {
      check(cell.gate === "gates", `cell ${cell.key} (${cell.label}) should gate, data-gate=${cell.gate}`);
      check(looksGating, `cell ${cell.key} (${cell.label}) gates but is not styled as gating ` +
        `(fill ${cell.fill}, text ${cell.text})`);
    } else {
      check(!looksGating && cell.gate !== "gates",
        `cell ${cell.key} (${cell.label}) does not gate but looks gating (fill ${cell.fill})`);
    }
    if (muted.has(cell.key)) {
      check(cell.gate === "baselined" && cell.border === "dashed" && !looksGating,
        `cell ${cell.key} (${cell.label}) is baselined but not muted (border ${cell.border})`);
    }
  }
  for (const key of [...gating, ...muted]) {
    check(facts.cells.some((cell) => cell.key === key), `expected cell ${key} is not in the matrix`);
  }
  // The banner: exit code in data, text and colour.
  check(facts.banner !== null, "no verdict banner (#verdict)");
  if (facts.banner) {
    const fill = { 0: facts.colours.pass, 1: facts.colours.gate, 2: facts.colours.harness }[page.exit];
    check(facts.banner.exit === String(page.exit),
      `banner says data-exit=${facts.banner.exit}, the run exits ${page.exit}`);
    check(facts.banner.text.includes(`exit ${page.exit}`),
      `banner text does not say "exit ${page.exit}": ${JSON.stringify(facts.banner.text)}`);
    check(facts.banner.fill === fill, `banner colour ${facts.banner.fill}, expected ${fill}`);
    check(facts.banner.gating === String(page.gating_clauses),
      `banner counts ${facts.banner.gating} gating clauses, expected ${page.gating_clauses}`);
    check(facts.banner.top < facts.viewport && facts.banner.top + facts.banner.height <= 900,
      `banner not on the first screen (top ${facts.banner.top} px)`);
  }
  for (const [id, state] of Object.entries(facts.cards)) {
    const want = page.open.includes(id) ? "open" : "folded";
    check(state === want, `evidence card ${id} is ${state}, expected ${want}`);
  }
  check(facts.injected === 0, `the page holds ${facts.injected} injected script/img/iframe elements`);
  if (page.hostile) check(facts.hostileAsText, "the hostile evidence text did not render as text");
  if (page.history) check(facts.history > 0, "no history rows (#history table.trend)");
  check(facts.matrixHeaderSticky === "sticky", "the matrix header is not sticky");
  check(facts.firstColumnSticky === "sticky", "the matrix's first column is not sticky");
  if (width.mobile) {
    check(facts.documentWidth <= facts.viewport,
      `the page is ${facts.documentWidth} px wide in a ${facts.viewport} px viewport`);
    check(facts.overflowing.length === 0, `elements overflow: ${facts.overflowing.join("; ")}`);
    check(facts.titlesShown === 0, `${facts.titlesShown} of ${facts.titles} title cells still shown`);
    check(facts.summaryStacked, "the summary table is not stacked");
  } else {
    check(facts.titlesShown === facts.titles, "title cells hidden on a wide screen");
  }
  return failures;
}

async function Screenshot(browser, session, path, clip) {
  const params = { format: "png" };
  if (clip) Object.assign(params, { clip: { ...clip, scale: 1 }, captureBeyondViewport: true });
  const { data } = await browser.Send("Page.captureScreenshot", params, session);
  writeFileSync(path, Buffer.from(data, "base64"));
}

async function Main() {
  const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
  const profile = mkdtempSync(join(tmpdir(), "provkit-browser-"));
  const browser = new Browser(spec.chromium, profile);
  const summary = [];
  try {
    const { targetId } = await browser.Send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await browser.Send("Target.attachToTarget", { targetId, flatten: true });
    await browser.Send("Page.enable", {}, sessionId);
    for (const page of spec.pages) {
      for (const width of kWidths) {
        await browser.Send("Emulation.setDeviceMetricsOverride", {
          width: width.width, height: width.height, deviceScaleFactor: 1, mobile: width.mobile,
        }, sessionId);
        const loaded = browser.Event("Page.loadEventFired", sessionId);
        await browser.Send("Page.navigate", { url: pathToFileURL(resolve(page.file)).href }, sessionId);
        await loaded;
        const expect = { open: page.open, folded: page.folded };
        const { result, exceptionDetails } = await browser.Send("Runtime.evaluate", {
          expression: `(${PageFacts.toString()})(${JSON.stringify(expect)})`,
          returnByValue: true,
        }, sessionId);
        if (exceptionDetails) throw new Error(`check script: ${JSON.stringify(exceptionDetails)}`);
        const facts = result.value;
        const failures = CheckFacts(page, width, facts);
        const shot = join(spec.out, `${page.name}-${width.tag}.png`);
        await Screenshot(browser, sessionId, shot);
        if (page.full) {
          const metrics = await browser.Send("Page.getLayoutMetrics", {}, sessionId);
          const height = Math.min(Math.ceil(metrics.cssContentSize.height), kMaxFullHeight);
          await Screenshot(browser, sessionId, join(spec.out, `${page.name}-${width.tag}-full.png`),
            { x: 0, y: 0, width: width.width, height });
        }
        for (const section of page.sections ?? []) {
          const { result: box } = await browser.Send("Runtime.evaluate", {
            expression: `(() => { const e = document.getElementById(${JSON.stringify(section)});
              if (!e) return null; const r = e.getBoundingClientRect();
              return {x: 0, y: r.top + scrollY, width: ${width.width}, height: r.height}; })()`,
            returnByValue: true,
          }, sessionId);
          if (!box.value) {
            Fail(`${page.name}: no element #${section} to photograph`);
            continue;
          }
          box.value.height = Math.min(Math.ceil(box.value.height) + 8, kMaxSectionHeight);
          await Screenshot(browser, sessionId,
            join(spec.out, `${page.name}-${width.tag}-${section}.png`), box.value);
        }
        summary.push(`${page.name} ${width.tag} px: ${failures === 0 ? "ok" : `${failures} problems`}` +
          ` (document ${facts.documentWidth}/${facts.viewport} px, banner exit ${facts.banner?.exit},` +
          ` ${facts.cells.filter((cell) => cell.gate === "gates").length} gating cells) -> ${shot}`);
      }
    }
  } catch (error) {
    Fail(`${error.message}\n${browser.log.slice(-2000)}`);
  } finally {
    await browser.Close();
    rmSync(profile, { recursive: true, force: true });
  }
  for (const line of summary) console.log(`browser_check: ${line}`);
}

await Main();
