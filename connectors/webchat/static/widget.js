/*
 * TripDesk website chat widget.
 *
 * A travel site embeds it with one tag:
 *   <script src="https://BOT/webhooks/webchat/static/widget.js" defer></script>
 * Optional attributes: data-server="https://BOT" (when widget.js is served from
 * elsewhere), data-open="true" (open the panel on load).
 *
 * Plain JavaScript, no framework and no build step. The widget lives in a shadow root,
 * so the host page's CSS cannot break it; it loads its own CSS and the socket.io client
 * from the bot (nothing from a CDN). The signed session token is kept in localStorage,
 * so a reload shows the conversation again.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || window.TripDeskWidget) {
    return;
  }

  var PREFIX = "/webhooks/webchat";
  var MAX_CHARS = 2000;
  var serverUrl = new URL(script.getAttribute("data-server") || new URL(script.src, location.href).origin,
    location.href);
  var serverPath = serverUrl.pathname.replace(/\/+$/, "");
  var base = serverUrl.origin + serverPath + PREFIX;
  var STORAGE_KEY = "tripdesk.webchat.session:" + serverUrl.origin + serverPath;
  var OPEN_KEY = "tripdesk.webchat.open";

  // Words a traveller sees (Simplified Chinese).
  var TEXT = {
    title: "TripDesk 在线客服",
    subtitle: "酒店 · 车票 · 跟团游 · 改签退订，24 小时为您服务",
    launcher: "在线客服",
    openLabel: "打开 TripDesk 在线客服",
    closeLabel: "关闭在线客服",
    placeholder: "请输入您的问题…",
    inputLabel: "输入您的消息",
    send: "发送",
    log: "对话记录",
    quickReplies: "快捷回复",
    typing: "客服正在输入…",
    connecting: "正在连接客服…",
    reconnecting: "连接中断，正在重连…",
    unavailable: "暂时无法连接客服，请检查网络后刷新页面重试。",
    newMessage: "有新消息",
    pending: "等待发送…",
    welcome: "您好，我是 TripDesk 在线客服。可以帮您查酒店、车票和跟团游，办理改签、退订，查询退款进度。请问有什么可以帮您？",
    tooLong: "最多 " + MAX_CHARS + " 字",
    you: "我",
    bot: "客服"
  };

  var state = {
    token: readToken(),
    socket: null,
    ready: false,      // session confirmed on the current connection
    started: false,
    queued: [],        // messages written while not connected, sent once confirmed
    quickFor: null     // the bubble whose buttons are shown as quick replies
  };

  var ui = buildUi();
  window.TripDeskWidget = { open: openPanel, close: closePanel };
  if (script.getAttribute("data-open") === "true" || remembered(OPEN_KEY)) {
    openPanel();
  } else if (state.token) {
    start();  // a returning traveller: replies sent while away arrive, the badge shows them
  }

  // --- session and connection ---------------------------------------------------

  /** Whether the panel was open on this tab's previous page (sessionStorage may be blocked). */
  function remembered(key) {
    try {
      return sessionStorage.getItem(key) === "1";
    } catch (e) {
      return false;
    }
  }

  function remember(key, value) {
    try {
      if (value === null) {
        sessionStorage.removeItem(key);
      } else {
        sessionStorage.setItem(key, value);
      }
    } catch (e) { /* storage blocked: the panel starts closed */ }
  }

  function readToken() {
    try {
      return localStorage.getItem(STORAGE_KEY);
    } catch (e) {
      return null;  // storage blocked: the conversation lasts as long as the page
    }
  }

  function saveToken(token) {
    state.token = token;
    try {
      localStorage.setItem(STORAGE_KEY, token);
    } catch (e) { /* storage blocked */ }
  }

  function start() {
    if (state.started) {
      return;
    }
    state.started = true;
    setStatus("connecting");
    Promise.all([ensureSession(), loadSocketClient()])
      .then(loadHistory)
      .then(connect)
      .catch(function () {
        state.started = false;
        setStatus("unavailable");
      });
  }

  /** The stored session renewed by the server, or a new one when it is missing or invalid. */
  function ensureSession() {
    return fetch(base + "/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_token: state.token })
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("session " + response.status);
      }
      return response.json();
    }).then(function (session) {
      if (!session.resumed) {
        renderTranscript([]);
      }
      saveToken(session.session_token);
    });
  }

  function loadHistory() {
    return fetch(base + "/history", { headers: { Authorization: "Bearer " + state.token } })
      .then(function (response) {
        return response.ok ? response.json() : { messages: [] };
      })
      .then(function (history) {
        renderTranscript(history.messages || []);
      })
      .catch(function () { /* the socket sends the transcript again once connected */ });
  }

  function loadSocketClient() {
    if (typeof window.io === "function") {
      return Promise.resolve();
    }
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = base + "/static/vendor/socket.io.min.js";
      tag.async = true;
      tag.onload = function () {
        // A page using an AMD loader would have taken the UMD bundle as a module instead.
        return typeof window.io === "function" ? resolve() : reject(new Error("socket.io client unavailable"));
      };
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
  }

  function connect() {
    var socket = window.io(serverUrl.origin, {
      path: serverPath + PREFIX + "/socket.io",
      transports: ["websocket", "polling"],
      auth: function (send) { send({ session_token: state.token }); },
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000
    });
    state.socket = socket;
    socket.on("connect", function () {
      socket.emit("session_request", {});
    });
    socket.on("session_confirm", function (confirmed) {
      renderTranscript(confirmed.messages || []);
      state.ready = true;
      setStatus("connected");
      flushQueue();
    });
    socket.on("connect_error", function (error) {
      state.ready = false;
      if (error && error.message === "invalid_session") {
        // The stored session was refused (expired or not ours): start a new one.
        state.token = null;
        ensureSession().then(function () { socket.connect(); }, function () { setStatus("unavailable"); });
        return;
      }
      setStatus("reconnecting");
    });
    socket.on("disconnect", function (reason) {
      state.ready = false;
      setTyping(false);
      setStatus("reconnecting");
      if (reason === "io server disconnect") {
        socket.connect();
      }
    });
    socket.on("bot_uttered", function (message) {
      appendMessage(Object.assign({ sender: "bot" }, message));
      if (ui.panel.hidden) {
        ui.launcher.classList.add("unread");
        ui.launcher.setAttribute("aria-label", TEXT.openLabel + "（" + TEXT.newMessage + "）");
      }
    });
    socket.on("typing", function (typing) {
      setTyping(Boolean(typing && typing.on));
    });
    socket.on("user_echo", function (echo) {
      appendMessage({ sender: "user", text: echo.text });
    });
  }

  function flushQueue() {
    var queued = state.queued;
    state.queued = [];
    queued.forEach(function (item) {
      appendMessage({ sender: "user", text: item.shown });
      emitMessage(item.data);
    });
  }

  // --- sending --------------------------------------------------------------------

  function sendText(text) {
    if (!text.trim()) {
      return;
    }
    submit(text, { message: text });
  }

  function sendButton(button) {
    submit(button.title, { payload: button.payload, title: button.title });
  }

  function submit(shown, data) {
    clearQuickReplies();
    start();
    if (!state.ready) {
      // Shown at once, sent when the connection is back (after the transcript).
      appendMessage({ sender: "user", text: shown, pending: true });
      state.queued.push({ shown: shown, data: data });
      return;
    }
    appendMessage({ sender: "user", text: shown });
    emitMessage(data);
  }

  function emitMessage(data) {
    setTyping(true);
    state.socket.emit("user_uttered", data, function (ack) {
      if (ack && ack.accepted === false) {
        setTyping(false);
      }
    });
  }

  // --- rendering --------------------------------------------------------------------

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === "text") {
        node.textContent = attributes[name];
      } else if (name === "className") {
        node.className = attributes[name];
      } else {
        node.setAttribute(name, attributes[name]);
      }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function buildUi() {
    var host = el("div", { id: "tripdesk-webchat" });
    var root = host.attachShadow({ mode: "open" });
    var launcher = el("button", {
      className: "launcher", type: "button", "aria-label": TEXT.openLabel,
      "aria-expanded": "false", "aria-controls": "tdw-panel"
    }, [el("span", { className: "launcher-icon", "aria-hidden": "true", text: "💬" }),
      el("span", { className: "launcher-text", text: TEXT.launcher })]);
    var close = el("button", { className: "close", type: "button", "aria-label": TEXT.closeLabel, text: "×" });
    var status = el("div", { className: "status", role: "status", "aria-live": "polite" });
    var messages = el("ol", { className: "messages", role: "log", "aria-live": "polite", "aria-label": TEXT.log });
    var typing = el("div", { className: "typing", role: "status", "aria-label": TEXT.typing, hidden: "" },
      [el("span", { className: "dot" }), el("span", { className: "dot" }), el("span", { className: "dot" }),
        el("span", { className: "sr-only", text: TEXT.typing })]);
    var scroller = el("div", { className: "scroller" }, [messages, typing]);
    var quick = el("div", { className: "quick-replies", role: "group", "aria-label": TEXT.quickReplies });
    var input = el("textarea", {
      className: "input", rows: "1", maxlength: String(MAX_CHARS), placeholder: TEXT.placeholder,
      "aria-label": TEXT.inputLabel, enterkeyhint: "send"
    });
    var counter = el("span", { className: "counter", "aria-live": "polite" });
    var sendButtonEl = el("button", { className: "send", type: "submit", text: TEXT.send });
    var form = el("form", { className: "composer" }, [input, counter, sendButtonEl]);
    var panel = el("section", {
      className: "panel", id: "tdw-panel", role: "dialog", "aria-modal": "false",
      "aria-labelledby": "tdw-title", lang: "zh-CN", hidden: ""
    }, [
      el("header", { className: "header" }, [
        el("div", {}, [el("h2", { id: "tdw-title", className: "title", text: TEXT.title }),
          el("p", { className: "subtitle", text: TEXT.subtitle })]),
        close
      ]),
      status, scroller, quick, form
    ]);
    root.appendChild(el("link", { rel: "stylesheet", href: base + "/static/widget.css" }));
    root.appendChild(launcher);
    root.appendChild(panel);
    document.body.appendChild(host);

    launcher.addEventListener("click", openPanel);
    close.addEventListener("click", closePanel);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        closePanel();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      input.value = "";
      updateCounter();
      sendText(text);
      input.focus();
    });
    input.addEventListener("keydown", function (event) {
      // Enter sends, Shift+Enter breaks the line; never while a Chinese IME is composing.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        sendButtonEl.click();
      }
    });
    input.addEventListener("input", updateCounter);

    return {
      host: host, launcher: launcher, panel: panel, status: status, messages: messages,
      typing: typing, scroller: scroller, quick: quick, input: input, counter: counter
    };
  }

  function updateCounter() {
    var length = ui.input.value.length;
    ui.counter.textContent = length > MAX_CHARS * 0.9 ? length + "/" + MAX_CHARS + "（" + TEXT.tooLong + "）" : "";
  }

  function openPanel() {
    ui.panel.hidden = false;
    ui.host.classList.add("open");
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.launcher.classList.remove("unread");
    ui.launcher.setAttribute("aria-label", TEXT.openLabel);
    remember(OPEN_KEY, "1");
    start();
    scrollToEnd();
    ui.input.focus();
  }

  function closePanel() {
    ui.panel.hidden = true;
    ui.host.classList.remove("open");
    ui.launcher.setAttribute("aria-expanded", "false");
    remember(OPEN_KEY, null);
    ui.launcher.focus();
  }

  function setStatus(name) {
    var words = { connecting: TEXT.connecting, reconnecting: TEXT.reconnecting, unavailable: TEXT.unavailable };
    ui.status.textContent = words[name] || "";
    ui.status.className = "status " + name;
    ui.status.hidden = !words[name];
  }

  function setTyping(on) {
    ui.typing.hidden = !on;
    if (on) {
      scrollToEnd();
    }
  }

  function renderTranscript(messages) {
    ui.messages.textContent = "";
    clearQuickReplies();
    if (!messages.length) {
      appendMessage({ sender: "bot", text: TEXT.welcome, welcome: true });
      return;
    }
    messages.forEach(appendMessage);  // buttons stay only under a last, unanswered bot message
  }

  function appendMessage(message) {
    var mine = message.sender === "user";
    var classes = "message " + (mine ? "from-user" : "from-bot") + (message.welcome ? " welcome" : "") +
      (message.notice ? " notice" : "") + (message.pending ? " pending" : "");
    var bubble = el("div", { className: "bubble" });
    if (message.text) {
      appendText(bubble, message.text);
    }
    if (message.pending) {
      bubble.appendChild(el("span", { className: "pending-note", text: TEXT.pending }));
    }
    if (message.image && /^https?:\/\//.test(message.image)) {
      bubble.appendChild(el("img", { src: message.image, alt: "", loading: "lazy" }));
    }
    var item = el("li", { className: classes }, [
      el("span", { className: "sr-only", text: (mine ? TEXT.you : TEXT.bot) + "：" }), bubble
    ]);
    ui.messages.appendChild(item);
    if (mine) {
      clearQuickReplies();
    } else if (message.buttons && message.buttons.length) {
      showQuickReplies(message.buttons);
    }
    scrollToEnd();
  }

  /** Text with line breaks and clickable http(s) links, never parsed as HTML. */
  function appendText(parent, text) {
    var parts = String(text).split(/(https?:\/\/[^\s，。；、）)]+)/);
    parts.forEach(function (part, index) {
      if (index % 2 === 1) {
        parent.appendChild(el("a", { href: part, target: "_blank", rel: "noopener noreferrer", text: part }));
      } else if (part) {
        parent.appendChild(document.createTextNode(part));
      }
    });
  }

  function showQuickReplies(buttons) {
    clearQuickReplies();
    buttons.forEach(function (button) {
      var choice = el("button", { className: "quick-reply", type: "button", text: button.title });
      choice.addEventListener("click", function () { sendButton(button); });
      ui.quick.appendChild(choice);
    });
  }

  function clearQuickReplies() {
    ui.quick.textContent = "";
  }

  function scrollToEnd() {
    ui.scroller.scrollTop = ui.scroller.scrollHeight;
  }
})();
