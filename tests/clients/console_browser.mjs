// The operator's console in Debian's Chromium, driven by playwright-core: root sign-in with the
// access key pair; user pools searched by name; a pool's page; users listed and filtered with
// ListUsers' filter language; a user created; a user's page with its sign-in history; a user
// disabled and enabled again, and given a password; the outbox, IAM and a role; managed policies
// created, edited, versions chosen and deleted; a role created, its inline and managed policies
// and trust changed, deleted; an identity pool's roles and role mappings; an identity and its sync
// dataset; sign-out; then
// an IAM user with a console password and read-only policies, who reads but is refused a change,
// and a wrong password. A screenshot of each page goes to the artifacts directory. Prints
// "ok …" / "FAIL …" lines.
//
// usage: node console_browser.mjs '<settings JSON from console_flows.py>'

import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { check, finish } from "./checks.mjs";
import { codeAt } from "./totp.mjs";

const settings = JSON.parse(process.argv[2]);

fs.mkdirSync(settings.screenshots, { recursive: true });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const shot = async (name) => page.screenshot({ path: path.join(settings.screenshots, `${name}.png`), fullPage: true });
const text = async () => page.locator("main").innerText();

try {
  await page.goto(`${settings.endpoint}/console/`);
  check("GET /console/ without a session shows the sign-in page", (await page.title()).startsWith("Sign in to the cognate console"));
  await shot("01-sign-in");
  await page.fill("#k", settings.key_id);
  await page.fill("#s", settings.secret);
  await page.click("form:has(#k) button");
  check("the root access keys sign in and land on the user pools", (await page.title()).startsWith("User pools") && (await text()).includes("notes"));
  const cookie = (await context.cookies()).find((entry) => entry.name === "cognate-console");
  check("the session cookie is HttpOnly and SameSite=Strict", cookie?.httpOnly === true && cookie?.sameSite === "Strict");
  await shot("02-user-pools");

  await page.fill("#q", "zzz");
  await page.click("form[method=get] button");
  check("a search for a name no pool has lists none", !(await text()).includes("notes\n") && (await page.locator("table").first().locator("tr").count()) === 1);
  await page.fill("#q", "NOT");
  await page.click("form[method=get] button");
  check("a search is case-insensitive and finds the pool", (await page.locator("table").first().locator("a", { hasText: "notes" }).count()) === 1);

  await page.click(`a[href="/console/pools/${settings.pool_id}"]`);
  const poolText = await text();
  check("the pool's page shows its settings, client, group and domain",
    poolText.includes("notes-web") && poolText.includes("editors") && poolText.includes("notes-demo") && poolText.includes("MinimumLength"));
  await shot("03-pool");

  await page.click("a:text('Create an app client')");
  await page.fill("#cn", "console-made");
  await page.check("input[name=secret]");
  await page.check("input[name=flow][value=ALLOW_USER_PASSWORD_AUTH]");
  await page.click("button:text('Create the client')");
  const secret = (await page.locator("#secret").innerText()).trim();
  check("an app client is created from the console, its secret shown once", secret.length >= 40 && (await page.locator("#client-id").innerText()).length > 10);
  await shot("03b-client-created");
  await page.click("a:text('Open the client')");
  check("the client's page never shows the secret again", !(await text()).includes(secret) && (await text()).includes("has a secret"));
  await page.fill("#cb", "https://app.example.com/callback");
  await page.check("input[name=oauth_flow][value=code]");
  await page.fill("#sc", "openid email");
  await page.click("button:text('Save')");
  check("its OAuth settings are changed from the console", (await text()).includes("https://app.example.com/callback") && (await text()).includes("openid"));
  await shot("03c-client");
  await page.goto(`${settings.endpoint}/console/pools/${settings.pool_id}`);

  await page.click("a:text('Users')");
  check("the users page lists the pool's users", (await text()).includes("alice@example.com"));
  await page.fill("#filter", 'email ^= "ali"');
  await page.click("form[method=get] button");
  check("a ListUsers filter narrows the list", (await page.locator("table tr").count()) === 2 && (await text()).includes("alice@example.com"));
  await shot("04-users-filtered");
  await page.fill("#filter", 'email ^= "zz"');
  await page.click("form[method=get] button");
  check("a filter that matches nobody lists nobody", (await page.locator("table tr").count()) === 1);
  await page.fill("#filter", "not a filter");
  await page.click("form[method=get] button");
  check("a malformed filter gets the API's own error, not a crash", (await page.title()).startsWith("That did not work") && (await text()).includes("InvalidParameterException"));
  await page.goBack();

  await page.goto(`${settings.endpoint}/console/pools/${settings.pool_id}/users`);
  await page.fill("#nu", "carol@example.com");
  await page.fill("#ne", "carol@example.com");
  await page.click("form[method=post]:has(#nu) button");
  check("a user is created from the console", (await page.title()).startsWith("User created"));
  await page.click("a:text('Open')");
  await page.fill("#sp", "Carol-Password-1");
  await page.click("form:has(#sp) button");
  check("and given a permanent password", (await text()).includes("CONFIRMED"));

  await page.goto(`${settings.endpoint}/console/pools/${settings.pool_id}/users?filter=${encodeURIComponent('email = "alice@example.com"')}`);
  await page.click("table a");
  const userText = await text();
  check("a user's page shows the attributes, groups and the sign-in history with its outcomes",
    userText.includes("alice@example.com") && userText.includes("editors") && userText.includes("Sign-in history")
    && userText.includes("Fail") && userText.includes("Pass") && userText.includes("Password Failure"));
  await shot("05-user");
  await page.click("button:text('Disable')");
  check("a user is disabled from the console", (await page.locator("button:text('Enable')").count()) === 1 && (await text()).includes("Enabled"));
  await shot("06-user-disabled");
  await page.click("button:text('Enable')");
  check("and enabled again", (await page.locator("button:text('Disable')").count()) === 1);

  await page.goto(`${settings.endpoint}/console/pools/${settings.pool_id}/outbox`);
  check("the outbox page lists the pool's messages", (await page.title()).startsWith("Outbox"));
  await shot("07-outbox");
  await page.goto(`${settings.endpoint}/console/iam`);
  check("the IAM page lists roles and customer managed policies", (await text()).includes("notes-signed-in") && (await text()).includes("notes-own-prefix"));
  await shot("08-iam");
  await page.click("a:text('notes-signed-in')");
  check("a role's page shows its trust policy and its policies", (await page.inputValue("#trust")).includes("sts:AssumeRoleWithWebIdentity") && (await text()).includes("own-sync-datasets"));
  await shot("09-role");
  // IAM changed from the console: managed policies, their versions, a role and its policies.
  const documentOf = (action) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });
  const createPolicy = async (name) => {
    await page.goto(`${settings.endpoint}/console/iam`);
    await page.fill("#pn", name);
    await page.fill("#pdoc", documentOf("cognito-sync:ListDatasets"));
    await page.click("button:text('Create the policy')");
    await page.fill("#doc", documentOf("cognito-sync:ListRecords"));
    await page.click("button:text('Save as the default version')");
  };
  await createPolicy("console-kept");
  check("a managed policy is created and edited into a new default version",
    (await page.title()).startsWith("Policy console-kept") && (await page.locator("tr", { hasText: "(default)" }).innerText()).includes("ListRecords"));
  await createPolicy("console-policy");
  await page.locator("tr", { hasText: "ListDatasets" }).locator("button:text('Make it the default')").click();
  check("an older version is made the default again", (await page.locator("tr", { hasText: "(default)" }).innerText()).includes("ListDatasets"));
  await page.locator("tr", { hasText: "ListRecords" }).locator("button:text('Delete')").click();
  check("a version that is not the default is deleted", !(await text()).includes("ListRecords") && (await text()).includes("v1"));
  await shot("12-policy");

  await page.goto(`${settings.endpoint}/console/iam`);
  await page.fill("#rn", "console-role");
  await page.fill("#rt", (await page.inputValue("#rt")).replace("IDENTITY-POOL-ID", settings.identity_pool_id));
  await page.click("button:text('Create the role')");
  check("a role is created with the trust policy the form starts with",
    (await page.title()).startsWith("Role console-role") && (await page.inputValue("#trust")).includes(settings.identity_pool_id));
  await page.fill("#ipn", "inline-one");
  await page.fill("#ipd", documentOf("cognito-identity:GetId"));
  await page.click("button:text('Add the policy')");
  check("an inline policy is added to it", (await text()).includes("inline-one") && (await page.locator("textarea[name=document]").nth(1).inputValue()).includes("cognito-identity:GetId"));
  await page.selectOption("#attach", { label: "console-policy" });
  await page.click("form:has(#attach) button");
  check("a managed policy is attached to it", (await page.locator("table", { hasText: "console-policy" }).count()) === 1);
  await page.fill("#trust", (await page.inputValue("#trust")).replace('"authenticated"', '"unauthenticated"'));
  await page.click("button:text('Save the trust policy')");
  check("its trust policy is changed", (await page.inputValue("#trust")).includes('"unauthenticated"'));
  await shot("13-role-edited");
  await page.click("button:text('Delete inline-one')");
  check("an inline policy is deleted", !(await text()).includes("inline-one"));
  await page.locator("tr", { hasText: "console-policy" }).locator("button:text('Detach')").click();
  check("a managed policy is detached", (await page.locator("table", { hasText: "console-policy" }).count()) === 0);
  await page.check("form:has(button:text('Delete the role')) input[name=confirm]");
  await page.click("button:text('Delete the role')");
  check("a role is deleted, its policies first", (await page.title()).startsWith("IAM") && !(await text()).includes("console-role"));
  await page.click("a:text('console-policy')");
  await page.check("form:has(button:text('Delete the policy')) input[name=confirm]");
  await page.click("button:text('Delete the policy')");
  check("a managed policy is deleted", (await page.title()).startsWith("IAM") && !(await text()).includes("console-policy"));

  await page.goto(`${settings.endpoint}/console/identity-pools/${settings.identity_pool_id}`);
  check("an identity pool's page shows its roles", (await text()).includes("authenticated") && (await text()).includes("notes-signed-in"));
  await shot("10-identity-pool");
  await page.selectOption("#unauthenticated", { label: "notes-signed-in" });
  await page.check("input[name=allow_unauthenticated]");
  await page.click("form:has(#authenticated) button");
  check("an identity pool's guest role and guest access are changed from the console",
    (await text()).includes("unauthenticated") && (await page.locator("input[name=allow_unauthenticated]").isChecked()));
  const mappings = { [settings.mapping_provider]: { Type: "Rules", AmbiguousRoleResolution: "AuthenticatedRole",
    RulesConfiguration: { Rules: [{ Claim: "cognito:groups", MatchType: "Contains", Value: "editors", RoleARN: settings.role_arn }] } } };
  await page.fill("#mappings", JSON.stringify(mappings));
  await page.click("form:has(#authenticated) button");
  check("role mappings are set from the console", (await page.inputValue("#mappings")).includes('"editors"') && (await text()).includes("Rules"));
  await page.fill("#mappings", "{not json");
  await page.click("form:has(#authenticated) button");
  check("role mappings that are not JSON are refused with a reason", (await text()).includes("not a JSON object"));
  await page.goto(`${settings.endpoint}/console/identity-pools/${settings.identity_pool_id}`);
  await page.fill("#mappings", JSON.stringify({ [settings.mapping_provider]: { Type: "Rules" } }));
  await page.click("form:has(#authenticated) button");
  check("role mappings the API refuses get its error", (await page.title()).startsWith("That did not work") && (await text()).includes("InvalidParameterException"));
  await page.goto(`${settings.endpoint}/console/identity-pools/${settings.identity_pool_id}`);
  await page.click(`a:text('${settings.identity_id}')`);
  check("an identity's page shows its logins and its sync datasets", (await text()).includes("cognito-idp.") && (await text()).includes("settings"));
  await shot("14-identity");
  await page.click("a:text('settings')");
  check("a dataset's page shows its records", (await text()).includes("theme") && (await text()).includes("dark-console-check"));
  await shot("15-dataset");
  await page.click("button:text('Sign out')");
  check("sign-out ends the session", (await page.title()).startsWith("Sign in to the cognate console"));
  await page.goto(`${settings.endpoint}/console/pools/${settings.pool_id}/users`);
  check("and the pages ask for a sign-in again", (await page.title()).startsWith("Sign in to the cognate console"));

  // An IAM user with a console password and read-only permissions.
  await page.fill("#u", settings.viewer);
  await page.fill("#p", "wrong-password-1");
  await page.click("form:has(#u) button");
  check("a wrong console password is refused", (await text()).includes("The credentials are not right."));
  await page.fill("#u", settings.viewer);
  await page.fill("#p", settings.viewer_password);
  await page.click("form:has(#u) button");
  check("a user with an MFA device is asked for its code", (await text()).includes("This user signs in with an MFA code."));
  await page.fill("#u", settings.viewer);
  await page.fill("#p", settings.viewer_password);
  await page.fill("#m", "000000");
  await page.click("form:has(#u) button");
  check("a wrong code is refused", (await text()).includes("The MFA code is not right."));
  await page.fill("#u", settings.viewer);
  await page.fill("#p", settings.viewer_password);
  await page.fill("#m", codeAt(settings.viewer_mfa_seed, Math.floor(Date.now() / 30000) + 1));
  await page.click("form:has(#u) button");
  check("an IAM user signs in with the console password and the device's code", (await page.title()).startsWith("User pools") && (await page.locator("header").innerText()).includes(`user/${settings.viewer}`));
  await page.goto(`${settings.endpoint}/console/pools/${settings.pool_id}/users?filter=${encodeURIComponent('email = "alice@example.com"')}`);
  await page.click("table a");
  check("the IAM user reads what the policies allow", (await text()).includes("alice@example.com"));
  await page.click("button:text('Disable')");
  check("and is refused what they do not (403, the action and the resource named)",
    (await page.title()).startsWith("Not allowed") && (await text()).includes("cognito-idp:AdminDisableUser"));
  await shot("11-not-allowed");
  await page.goto(`${settings.endpoint}/console/iam`);
  check("a section the IAM user may not read says so", (await text()).includes("iam:ListRoles is not allowed"));
  await page.goto(`${settings.endpoint}/console/identity-pools/${settings.identity_pool_id}`);
  check("an identity pool's form (its roles, the account's roles) is not shown to who may not read and set them",
    (await page.title()).startsWith("notes") && (await page.locator("#authenticated").count()) === 0 && !(await text()).includes("notes-signed-in"));
} catch (error) {
  check(`the console script ran to its end (${error.stack ?? error})`, false);
  await shot("failure").catch(() => {});
} finally {
  await browser.close();
}
finish("console");
