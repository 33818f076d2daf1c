/**
 * The senders of an operator's Integration page: one signed POST of a sample event in curl, Node,
 * Python, PHP and Go, rendered for that operator's endpoint, parameter names and auth settings
 * (docs/integration.md §8.2: Standard Webhooks headers, webhook-id = the txid). The one source of
 * the page's code: test/console/integration-snippets.test.ts runs each against a real service.
 * Secrets never appear: the code reads them from POSTWIRE_SECRET (and POSTWIRE_TOKEN).
 */

export const SNIPPET_LANGUAGES = ["curl", "node", "python", "php", "go"] as const;
export type SnippetLanguage = (typeof SNIPPET_LANGUAGES)[number];

export const SNIPPET_LABELS: Readonly<Record<SnippetLanguage, string>> = {
  curl: "curl (bash, openssl)",
  node: "Node.js 18+",
  python: "Python 3.9+",
  php: "PHP 7.4+",
  go: "Go",
};

interface SnippetInput {
  /** The operator's postback URL: `<public URL>/v1/postback/<key>`. */
  readonly endpoint: string;
  /** The event to send, as the operator names parameters and values (in this order). */
  readonly event: ReadonlyArray<readonly [string, string]>;
  /** The event's txid: the webhook-id header. */
  readonly txid: string;
  /** Sign with the operator's HMAC secret (POSTWIRE_SECRET). */
  readonly hmac: boolean;
  /** Send the static token (POSTWIRE_TOKEN) in X-Postwire-Token. */
  readonly staticToken: boolean;
}

/** The exact body bytes sent and signed. */
const bodyOf = (input: SnippetInput): string => JSON.stringify(Object.fromEntries(input.event));

/** A double-quoted literal for JS, Python and Go (JSON's escapes are valid in all three). */
const quoted = (text: string): string => JSON.stringify(text);
/** A single-quoted literal for PHP and the shell. */
const phpQuoted = (text: string): string => `'${text.replace(/[\\']/g, "\\$&")}'`;
const shQuoted = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

const lines = (...parts: ReadonlyArray<string | false>): string =>
  `${parts.filter((p) => p !== false).join("\n")}\n`;

function curl(input: SnippetInput): string {
  const { hmac, staticToken } = input;
  return lines(
    "#!/usr/bin/env bash",
    hmac && "# POSTWIRE_SECRET: your signing secret (whsec_…).",
    staticToken && "# POSTWIRE_TOKEN: your static token.",
    `body=${shQuoted(bodyOf(input))}`,
    `id=${shQuoted(input.txid)}`,
    hmac && "ts=$(date +%s)",
    hmac && `key=$(printf %s "\${POSTWIRE_SECRET#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \\n')`,
    hmac &&
      `sig=$(printf %s "$id.$ts.$body" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64)`,
    `curl -sS -X POST ${shQuoted(input.endpoint)} -w ' %{http_code}\\n' \\`,
    `  -H 'content-type: application/json' -H "webhook-id: $id" \\`,
    hmac && `  -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$sig" \\`,
    staticToken && `  -H "x-postwire-token: $POSTWIRE_TOKEN" \\`,
    `  --data-binary "$body"`,
  );
}

function node(input: SnippetInput): string {
  const { hmac, staticToken } = input;
  return lines(
    hmac && `import { createHmac } from "node:crypto";`,
    (hmac || staticToken) && `import { env } from "node:process";`,
    "",
    `const body = ${quoted(bodyOf(input))};`,
    `const id = ${quoted(input.txid)}; // the txid`,
    hmac && "const ts = String(Math.floor(Date.now() / 1000));",
    hmac && `const key = Buffer.from(env.POSTWIRE_SECRET.replace(/^whsec_/, ""), "base64");`,
    hmac && `const sig = createHmac("sha256", key).update(\`\${id}.\${ts}.\${body}\`).digest("base64");`,
    `const response = await fetch(${quoted(input.endpoint)}, {`,
    `  method: "POST",`,
    "  body,",
    "  headers: {",
    `    "content-type": "application/json",`,
    `    "webhook-id": id,`,
    hmac && `    "webhook-timestamp": ts,`,
    hmac && `    "webhook-signature": \`v1,\${sig}\`,`,
    staticToken && `    "x-postwire-token": env.POSTWIRE_TOKEN,`,
    "  },",
    "});",
    "console.log(response.status, await response.text());",
  );
}

function python(input: SnippetInput): string {
  const { hmac, staticToken } = input;
  const imports = [
    ...(hmac ? ["base64", "hashlib", "hmac", "time"] : []),
    "os",
    "urllib.error",
    "urllib.request",
  ];
  return lines(
    `import ${imports.join(", ")}\n`,
    `body = ${quoted(bodyOf(input))}.encode()`,
    `txid = ${quoted(input.txid)}`,
    `headers = {"content-type": "application/json", "webhook-id": txid}`,
    hmac && "ts = str(int(time.time()))",
    hmac && `key = base64.b64decode(os.environ["POSTWIRE_SECRET"].removeprefix("whsec_"))`,
    hmac && `mac = hmac.new(key, f"{txid}.{ts}.".encode() + body, hashlib.sha256).digest()`,
    hmac && `headers["webhook-timestamp"] = ts`,
    hmac && `headers["webhook-signature"] = "v1," + base64.b64encode(mac).decode()`,
    staticToken && `headers["x-postwire-token"] = os.environ["POSTWIRE_TOKEN"]`,
    `request = urllib.request.Request(${quoted(input.endpoint)}, data=body, method="POST", headers=headers)`,
    "try:",
    "    with urllib.request.urlopen(request, timeout=10) as response:",
    "        print(response.status, response.read().decode())",
    "except urllib.error.HTTPError as error:",
    "    print(error.code, error.read().decode())",
  );
}

function php(input: SnippetInput): string {
  const { hmac, staticToken } = input;
  return lines(
    "<?php",
    `$body = ${phpQuoted(bodyOf(input))};`,
    `$txid = ${phpQuoted(input.txid)};`,
    `$headers = "Content-Type: application/json\\r\\nwebhook-id: $txid\\r\\n";`,
    hmac && "$ts = (string) time();",
    hmac && `$key = base64_decode(preg_replace('/^whsec_/', '', getenv('POSTWIRE_SECRET')), true);`,
    hmac && `$sig = base64_encode(hash_hmac('sha256', "$txid.$ts.$body", $key, true));`,
    hmac && `$headers .= "webhook-timestamp: $ts\\r\\nwebhook-signature: v1,$sig\\r\\n";`,
    staticToken && `$headers .= 'X-Postwire-Token: ' . getenv('POSTWIRE_TOKEN') . "\\r\\n";`,
    "$context = stream_context_create(['http' => [",
    "    'method' => 'POST', 'header' => $headers, 'content' => $body,",
    "    'timeout' => 10, 'ignore_errors' => true, // show 4xx and 5xx answers too",
    "]]);",
    `$answer = file_get_contents(${phpQuoted(input.endpoint)}, false, $context);`,
    "$status = function_exists('http_get_last_response_headers')",
    "    ? http_get_last_response_headers()[0] : $http_response_header[0];",
    `echo explode(' ', $status)[1], ' ', $answer, "\\n";`,
  );
}

function go(input: SnippetInput): string {
  const { hmac, staticToken } = input;
  const imports = [
    "bytes",
    ...(hmac ? ["crypto/hmac", "crypto/sha256", "encoding/base64"] : []),
    "fmt",
    "io",
    "net/http",
    ...(hmac || staticToken ? ["os"] : []),
    ...(hmac ? ["strconv", "strings", "time"] : []),
  ];
  return lines(
    "package main\n",
    `import (\n${imports.map((i) => `\t"${i}"`).join("\n")}\n)\n`,
    "func main() {",
    `\tbody := []byte(${quoted(bodyOf(input))})`,
    `\ttxid := ${quoted(input.txid)}`,
    `\treq, err := http.NewRequest(http.MethodPost, ${quoted(input.endpoint)}, bytes.NewReader(body))`,
    "\tif err != nil {\n\t\tpanic(err)\n\t}",
    `\treq.Header.Set("Content-Type", "application/json")`,
    `\treq.Header.Set("webhook-id", txid)`,
    hmac && "\tts := strconv.FormatInt(time.Now().Unix(), 10)",
    hmac &&
      `\tkey, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(os.Getenv("POSTWIRE_SECRET"), "whsec_"))`,
    hmac && "\tif err != nil {\n\t\tpanic(err)\n\t}",
    hmac && "\tmac := hmac.New(sha256.New, key)",
    hmac && `\tmac.Write([]byte(txid + "." + ts + "."))`,
    hmac && "\tmac.Write(body)",
    hmac && `\treq.Header.Set("webhook-timestamp", ts)`,
    hmac && `\treq.Header.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))`,
    staticToken && `\treq.Header.Set("X-Postwire-Token", os.Getenv("POSTWIRE_TOKEN"))`,
    "\tresp, err := http.DefaultClient.Do(req)",
    "\tif err != nil {\n\t\tpanic(err)\n\t}",
    "\tdefer resp.Body.Close()",
    "\tanswer, _ := io.ReadAll(resp.Body)",
    "\tfmt.Println(resp.StatusCode, string(answer))",
    "}",
  );
}

const RENDERERS: Readonly<Record<SnippetLanguage, (input: SnippetInput) => string>> = {
  curl,
  node,
  python,
  php,
  go,
};

/** Every language's sender of `input`'s event. */
export function senderSnippets(input: SnippetInput): Record<SnippetLanguage, string> {
  return Object.fromEntries(SNIPPET_LANGUAGES.map((l) => [l, RENDERERS[l](input)])) as Record<
    SnippetLanguage,
    string
  >;
}

/** The contract's sample event (a test-mode FTD), in the operator's parameter names and values. */
export function sampleEvent(
  rename: (field: string) => string,
  spell: (field: string, value: string) => string,
  txid: string,
): Array<[string, string]> {
  const sample: ReadonlyArray<readonly [string, string]> = [
    ["event", "ftd"],
    ["txid", txid],
    ["player_id", "player-42"],
    ["amount", "100.50"],
    ["currency", "EUR"],
    ["test", "1"],
  ];
  return sample.map(([field, value]) => [rename(field), spell(field, value)]);
}
