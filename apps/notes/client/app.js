// Notes client: plain JavaScript, no build step. It reads its API URLs from config.json (written
// from the stack's outputs when the app is deployed), signs in through the HTTP API (Cognito
// behind it), calls the notes API with the ID token, uploads photos straight to S3 with a
// presigned URL and listens for live updates on the WebSocket API.
"use strict";

const $ = (id) => document.getElementById(id);
let config = null;
let session = JSON.parse(sessionStorage.getItem("notes-session") || "null");
let socket = null;
const notes = new Map();

function say(message) { $("status").textContent = message || ""; }

async function api(method, path, body, auth = true) {
  const headers = { "content-type": "application/json" };
  if (auth) headers.authorization = session.idToken;
  const response = await fetch(config.ApiUrl + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : {};
  if (!response.ok) throw Object.assign(new Error(data.message || response.statusText), { status: response.status });
  return data;
}

function render() {
  const list = $("list");
  list.replaceChildren();
  const sorted = [...notes.values()].sort((a, b) => (b.createdAt || "").localeCompare(a.createdAt || ""));
  for (const note of sorted) {
    const item = document.createElement("li");
    item.dataset.id = note.id;
    const text = document.createElement("div");
    text.className = "text";
    text.textContent = note.text;
    item.append(text);
    if (note.thumbUrl) {
      const img = document.createElement("img");
      img.className = "thumb";
      img.alt = "photo";
      img.src = note.thumbUrl;
      item.append(img);
    }
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = note.width ? `photo ${note.width}×${note.height}, ${note.size} bytes` : note.updatedAt || "";
    item.append(meta);
    const actions = document.createElement("div");
    actions.className = "actions";
    actions.innerHTML = '<button class="edit secondary">Edit</button><button class="delete secondary">Delete</button>' +
      '<label>Photo<input type="file" class="photo" accept="image/*"></label>';
    actions.querySelector(".edit").onclick = () => edit(note);
    actions.querySelector(".delete").onclick = () => remove(note);
    actions.querySelector(".photo").onchange = (e) => upload(note, e.target.files[0]);
    item.append(actions);
    list.append(item);
  }
}

async function refresh() {
  const data = await api("GET", "/notes");
  notes.clear();
  for (const note of data.notes) notes.set(note.id, note);
  render();
}

async function edit(note) {
  const text = prompt("Edit note", note.text);
  if (!text) return;
  notes.set(note.id, await api("PUT", `/notes/${note.id}`, { text }));
  render();
}

async function remove(note) {
  await api("DELETE", `/notes/${note.id}`);
  notes.delete(note.id);
  render();
}

async function upload(note, file) {
  if (!file) return;
  say("uploading…");
  const { uploadUrl } = await api("POST", `/notes/${note.id}/photo`);
  const response = await fetch(uploadUrl, { method: "PUT", body: file });
  if (!response.ok) return say(`upload failed (${response.status})`);
  say("photo uploaded; making a thumbnail…");
  for (let i = 0; i < 40 && !(notes.get(note.id) || {}).thumbUrl; i++) {  // the live update may come first
    await new Promise((resolve) => setTimeout(resolve, 500));
    const fresh = await api("GET", `/notes/${note.id}`);
    if (fresh.thumbUrl) { notes.set(note.id, fresh); render(); }
  }
  say("");
}

function connect() {
  if (!config.WebSocketUrl) return;
  socket = new WebSocket(`${config.WebSocketUrl}?token=${encodeURIComponent(session.accessToken)}`);
  socket.onopen = () => { $("live").textContent = "live"; $("live").classList.add("on"); };
  socket.onclose = () => { $("live").textContent = "offline"; $("live").classList.remove("on"); };
  socket.onmessage = async (event) => {
    const change = JSON.parse(event.data);
    if (change.type === "REMOVE") notes.delete(change.note.id);
    else if (change.note.thumbUrl === undefined && change.note.width) {
      notes.set(change.note.id, await api("GET", `/notes/${change.note.id}`));  // a fresh thumbnail URL
    } else notes.set(change.note.id, { ...notes.get(change.note.id), ...change.note });
    render();
    say("");
  };
}

async function signedIn() {
  $("auth").hidden = true;
  $("notes").hidden = false;
  await refresh();
  connect();
}

async function signIn(email, password) {
  session = await api("POST", "/auth/login", { email, password }, false);
  sessionStorage.setItem("notes-session", JSON.stringify(session));
  await signedIn();
}

$("auth-form").onsubmit = async (e) => {
  e.preventDefault();
  try { await signIn($("email").value, $("password").value); say(""); } catch (err) { say(err.message); }
};

$("signup").onclick = async () => {
  if (!$("auth-form").reportValidity()) return;
  try {
    await api("POST", "/auth/signup", { email: $("email").value, password: $("password").value }, false);
    await signIn($("email").value, $("password").value);
    say("");
  } catch (err) { say(err.message); }
};

$("new-note").onsubmit = async (e) => {
  e.preventDefault();
  try {
    const note = await api("POST", "/notes", { text: $("text").value });
    notes.set(note.id, note);
    $("text").value = "";
    render();
  } catch (err) { say(err.message); }
};

$("signout").onclick = () => {
  sessionStorage.removeItem("notes-session");
  if (socket) socket.close();
  location.reload();
};

(async () => {
  config = await (await fetch("config.json")).json();
  if (session) {
    try { await signedIn(); } catch (err) { sessionStorage.removeItem("notes-session"); location.reload(); }
  }
})();
