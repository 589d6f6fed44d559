// The Partner API quickstart (seed 002, steps 1 to 5), as published.
// The end-to-end test runs it under Node 20 against `make up` with a test key, changing only:
// the host (https://api.layers.com → the local server), the key (LAYERS_API_KEY), a future
// scheduledFor, and the one fetch of the authorizeUrl marked below, which stands in for the
// person who consents.

// 1-create-project.ts
const res = await fetch("https://api.layers.com/v1/projects", {
  method: "POST",
  headers: {
    Authorization: `Bearer ${process.env.LAYERS_API_KEY}`,
    "Content-Type": "application/json",
    "Idempotency-Key": crypto.randomUUID(),
  },
  body: JSON.stringify({
    name: "Acme Coffee",
    customerExternalId: "acme-coffee",
    timezone: "America/Los_Angeles",
    primaryLanguage: "en",
    appName: "Acme Coffee",
    appDescription:
      "Daily ritual coffee subscriptions for runners and night-shift workers. Single-origin beans from named farms, roasted weekly, and shipped on a cadence that matches how you actually drink coffee — so the bag never goes stale and you never run out before a hard workout.",
    tagline: "Coffee that shows up before you run out.",
    brandVoice: "warm",
    targetGender: "all",
  }),
});
const project = await res.json(); // { id: "prj_…", … }

// 2-upload-app-media.ts
async function uploadAppMedia(kind: "logo" | "screenshot" | "demo-video", url: string) {
  const res = await fetch(
    `https://api.layers.com/v1/projects/${project.id}/app-media`,
    {
      method: "POST",
      headers: {
        Authorization: `Bearer ${process.env.LAYERS_API_KEY}`,
        "Content-Type": "application/json",
        "Idempotency-Key": crypto.randomUUID(),
      },
      body: JSON.stringify({ kind, url }),
    },
  );
  if (!res.ok) throw new Error(await res.text());
  return res.json(); // { id: "med_…", kind, url, mimeType, byteSize, createdAt }
}

await uploadAppMedia("logo", "https://cdn.acmecoffee.com/brand/logo-512.png");
await uploadAppMedia("screenshot", "https://cdn.acmecoffee.com/product/home.png");
await uploadAppMedia("demo-video", "https://cdn.acmecoffee.com/marketing/30s-demo.mp4");

// 3-connect-social-account.ts
// 3a. Get an authorize URL. `returnUrl` must match one of the domains
//     allowlisted on your API key (set when the key was issued).
const oauth = await fetch(
  `https://api.layers.com/v1/projects/${project.id}/social/oauth-url`,
  {
    method: "POST",
    headers: {
      Authorization: `Bearer ${process.env.LAYERS_API_KEY}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({
      platform: "tiktok",
      returnUrl: "https://yourapp.com/social/connect/callback",
    }),
  },
).then((r) => r.json());
// → { authorizeUrl, state, expiresAt }

// 3b. Open `oauth.authorizeUrl` in a popup/redirect. The user consents on
//     TikTok's domain; we redirect to your returnUrl with ?state=… &
//     either ?status=success or ?status=error appended.
await fetch(oauth.authorizeUrl, { redirect: "manual" }); // ← the person who consents

// 3c. Poll for completion (your callback page can also handle this).
while (true) {
  const status = await fetch(
    `https://api.layers.com/v1/projects/${project.id}/social/oauth-status?state=${oauth.state}`,
    { headers: { Authorization: `Bearer ${process.env.LAYERS_API_KEY}` } },
  ).then((r) => r.json());
  if (status.status === "completed") {
    var socialAccountId = status.socialAccountId; // "sa_…"
    break;
  }
  if (status.status === "failed") throw new Error(status.error?.message);
  await new Promise((r) => setTimeout(r, 1500));
}

// 4-wait-for-influencer.ts
async function waitForInfluencer(): Promise<string> {
  for (;;) {
    const { items } = await fetch(
      `https://api.layers.com/v1/projects/${project.id}/influencers`,
      { headers: { Authorization: `Bearer ${process.env.LAYERS_API_KEY}` } },
    ).then((r) => r.json());
    const ready = items.find(
      (i: { status: string }) => i.status === "ready",
    );
    if (ready) return ready.influencerId; // "inf_…"
    await new Promise((r) => setTimeout(r, 3000));
  }
}
const influencerId = await waitForInfluencer();

// 4a-discover-source.ts
const { items } = await fetch(
  `https://api.layers.com/v1/projects/${project.id}/content/source-recommendations?kind=slideshow&limit=20`,
  { headers: { Authorization: `Bearer ${process.env.LAYERS_API_KEY}` } },
).then((r) => r.json());
// items[]: { tiktokId, kind: "slideshow", thumbnailUrl, caption, author, stats, imageCount }
const chosen = items[0]; // your end-user picks one

// 4b-generate-slideshow-remix.ts
const generate = await fetch(
  `https://api.layers.com/v1/projects/${project.id}/content/slideshow-remix`,
  {
    method: "POST",
    headers: {
      Authorization: `Bearer ${process.env.LAYERS_API_KEY}`,
      "Content-Type": "application/json",
      "Idempotency-Key": crypto.randomUUID(),
    },
    body: JSON.stringify({
      tiktokVideoId: chosen.tiktokId,
      influencerId,
    }),
  },
).then((r) => r.json());
const { jobId: contentJobId, containerIds } = generate;
const containerId = containerIds[0];

// 6c. Poll the job, then fetch the container's `preview` object for UI rendering.
while (true) {
  const job = await fetch(`https://api.layers.com/v1/jobs/${contentJobId}`, {
    headers: { Authorization: `Bearer ${process.env.LAYERS_API_KEY}` },
  }).then((r) => r.json());
  if (job.status === "completed") break;
  if (job.status === "failed") throw new Error(job.error?.message);
  await new Promise((r) => setTimeout(r, 3000));
}

const container = await fetch(
  `https://api.layers.com/v1/content/${containerId}`,
  { headers: { Authorization: `Bearer ${process.env.LAYERS_API_KEY}` } },
).then((r) => r.json());
// container.preview has { kind: "slideshow", primaryUrl, thumbnailUrl, imageUrls[], … }

// 5-schedule.ts
const sched = await fetch(
  `https://api.layers.com/v1/content/${containerId}/schedule`,
  {
    method: "POST",
    headers: {
      Authorization: `Bearer ${process.env.LAYERS_API_KEY}`,
      "Content-Type": "application/json",
      "Idempotency-Key": crypto.randomUUID(),
    },
    body: JSON.stringify({
      scheduledFor: "2026-05-15T09:00:00-07:00",
      targets: [
        { socialAccountId, mode: "publish" },
      ],
    }),
  },
).then((r) => r.json());
// → { scheduledPostIds: ["sp_…"], gateStatus: "queued", scheduledFor }
