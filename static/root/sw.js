/* ClinicFlow's service worker: it keeps the shell (styles, scripts, icons, fonts under /static/,
   and an offline page) so that the installed app opens fast and says when the network is gone.
   It never stores a page or an answer of the server: everything else, patient data above all,
   goes to the network every time and is never written to a cache. */
const SHELL = "clinicflow-shell-v1";
const OFFLINE = "/offline.html";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.add(OFFLINE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== SHELL).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

function isShell(url) {
  return url.origin === self.location.origin && url.pathname.startsWith("/static/");
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (isShell(url)) {
    // Static files carry their content's hash in the name: a cached copy is never stale.
    event.respondWith(
      caches.open(SHELL).then((cache) =>
        cache.match(request).then((hit) => hit || fetch(request).then((response) => {
          if (response.ok) cache.put(request, response.clone());
          return response;
        })),
      ),
    );
  } else if (request.mode === "navigate") {
    // Pages always from the server; only when it cannot be reached, the offline page.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
  }
});
