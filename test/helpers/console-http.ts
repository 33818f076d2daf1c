/**
 * The console over plain HTTP on loopback, for its server-rendered error paths where a browser adds
 * nothing: signed in through POST /sign-in as a browser is, with the session's CSRF token read from
 * a page's form, then forms posted as `application/x-www-form-urlencoded`.
 */

export interface ConsoleAnswer {
  readonly status: number;
  readonly html: string;
  /** Where a redirect points, if it is one. */
  readonly location: string | null;
}

export interface ConsoleClient {
  /** The session's CSRF token, as its pages carry it. */
  readonly csrf: string;
  get(path: string): Promise<ConsoleAnswer>;
  /** Posts a form (a list value repeats the field, as ticked checkboxes do); the CSRF token is added. */
  post(path: string, form: Readonly<Record<string, string | readonly string[]>>): Promise<ConsoleAnswer>;
}

export async function consoleSession(baseUrl: string, apiKey: string): Promise<ConsoleClient> {
  const signIn = await fetch(`${baseUrl}/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ api_key: apiKey }).toString(),
    redirect: "manual",
  });
  const cookie = /pw_session=([^;]+)/.exec(signIn.headers.get("set-cookie") ?? "")?.[1];
  if (signIn.status !== 303 || !cookie) throw new Error(`sign-in answered ${signIn.status}`);
  const headers = { cookie: `pw_session=${cookie}` };
  const answer = async (response: Response): Promise<ConsoleAnswer> => ({
    status: response.status,
    html: await response.text(),
    location: response.headers.get("location"),
  });
  const get = async (path: string) =>
    answer(await fetch(`${baseUrl}${path}`, { headers, redirect: "manual" }));
  const home = await get("/");
  const csrf = /name="csrf" value="([^"]+)"/.exec(home.html)?.[1];
  if (!csrf) throw new Error("no CSRF token on the home page");
  return {
    csrf,
    get,
    async post(path, form) {
      const body = new URLSearchParams({ csrf });
      for (const [name, value] of Object.entries(form))
        for (const v of typeof value === "string" ? [value] : value) body.append(name, v);
      return answer(
        await fetch(`${baseUrl}${path}`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
          body: body.toString(),
          redirect: "manual",
        }),
      );
    },
  };
}
