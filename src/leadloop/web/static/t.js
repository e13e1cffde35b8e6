// Leadloop tracking snippet, served at /t.js. No dependencies; plain modern JS.
//   <script async src="https://HOST/t.js" data-write-key="ll_w_..."></script>
// Sends Segment-format messages in batches to HOST/v1/batch. Privacy: honours
// Do-Not-Track, waits for leadloop('consent', true) when data-consent="required",
// and reads only the name, e-mail, subscribe and topic fields of a form.
// Full-line comments like these are stripped when the file is served.
;(function (w, d) {
  'use strict'
  var tag = d.currentScript || d.querySelector('script[data-write-key]')
  if (!tag || w.__leadloop) return
  w.__leadloop = 1
  var KEY = tag.getAttribute('data-write-key')
  var API = new URL(tag.src, location.href).origin + '/v1/batch'
  var VERSION = '1.0.0'
  var FLUSH_MS = 2000
  var IDLE_MS = 30000
  var MAX_QUEUE = 500
  var MAX_BATCH = 50
  var LS = w.localStorage
  var pending = (w.leadloop && (w.leadloop.q || w.leadloop)) || []
  var dnt = navigator.doNotTrack === '1' || w.doNotTrack === '1'
  var consent = tag.getAttribute('data-consent') !== 'required' || get('ll_consent') === '1'
  // Messages made before consent wait here, in memory only.
  var held = []
  var inflight = {}
  var timer = 0
  var failures = 0

  function get(k) {
    try { return LS.getItem(k) } catch (e) { return null }
  }
  function set(k, v) {
    try { v == null ? LS.removeItem(k) : LS.setItem(k, v) } catch (e) {}
  }
  function uuid() {
    var b = crypto.getRandomValues(new Uint8Array(16))
    b[6] = (b[6] & 15) | 64
    b[8] = (b[8] & 63) | 128
    var h = Array.from(b, function (x) { return (x + 256).toString(16).slice(1) }).join('')
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' +
      h.slice(16, 20) + '-' + h.slice(20)
  }
  function cookie(name, value) {
    if (value === undefined) {
      var m = d.cookie.match('(?:^|; )' + name + '=([^;]*)')
      return m ? decodeURIComponent(m[1]) : null
    }
    var age = value === null ? 0 : 31536000
    var secure = location.protocol === 'https:' ? '; Secure' : ''
    d.cookie = name + '=' + encodeURIComponent(value || '') + '; Max-Age=' + age +
      '; Path=/; SameSite=Lax' + secure
  }

  // The first-party anonymous id: cookie ll_aid (1 year), mirrored in localStorage.
  function anonymousId() {
    var id = cookie('ll_aid') || get('ll_aid') || uuid()
    cookie('ll_aid', id)
    set('ll_aid', id)
    return id
  }

  function readQueue() {
    try { return JSON.parse(get('ll_q') || '[]') } catch (e) { return [] }
  }
  function writeQueue(q) {
    set('ll_q', q.length ? JSON.stringify(q.slice(-MAX_QUEUE)) : null)
  }
  function forget(ids) {
    writeQueue(readQueue().filter(function (m) { return !ids[m.messageId] }))
  }

  function pageContext() {
    return { url: location.href, path: location.pathname, title: d.title, referrer: d.referrer }
  }
  function campaign() {
    var c = {}
    new URLSearchParams(location.search).forEach(function (v, k) {
      if (k.indexOf('utm_') === 0) c[k.slice(4) === 'campaign' ? 'name' : k.slice(4)] = v
    })
    return c
  }

  function enqueue(msg) {
    if (dnt) return
    msg.messageId = uuid()
    msg.timestamp = new Date().toISOString()
    msg.context = {
      library: { name: 'leadloop.js', version: VERSION },
      page: pageContext(),
      userAgent: navigator.userAgent,
      locale: navigator.language,
      campaign: campaign()
    }
    if (!consent) return void held.push(msg)
    stamp(msg)
    var q = readQueue()
    q.push(msg)
    writeQueue(q)
    schedule(q.length >= MAX_BATCH ? 0 : FLUSH_MS)
  }
  function stamp(msg) {
    msg.anonymousId = anonymousId()
    var uid = get('ll_uid')
    if (uid) msg.userId = uid
  }

  function schedule(ms) {
    if (timer) { if (ms) return; clearTimeout(timer) }
    timer = setTimeout(flush, ms)
  }

  // One batch per request; 2xx removes it, 4xx (but 429) drops it, the rest retries later.
  function flush() {
    clearTimeout(timer)
    timer = 0
    var batch = readQueue().filter(function (m) { return !inflight[m.messageId] })
      .slice(0, MAX_BATCH)
    if (!batch.length || !navigator.onLine) return
    var ids = {}
    batch.forEach(function (m) { ids[m.messageId] = inflight[m.messageId] = 1 })
    var data = body(batch)
    // keepalive outlives the page but refuses bodies over 64 KB.
    fetch(API, { method: 'POST', body: data, keepalive: data.length < 60000,
      credentials: 'omit', headers: { 'Content-Type': 'text/plain' } })
      .then(function (r) {
        if (r.ok || (r.status >= 400 && r.status < 500 && r.status !== 429)) return done(ids, 1)
        throw r
      })
      .catch(function () {
        done(ids, 0)
        failures++
        schedule(Math.min(60000, 1000 * Math.pow(2, failures)) * (0.8 + 0.4 * Math.random()))
      })
  }
  function done(ids, sent) {
    for (var k in ids) delete inflight[k]
    if (!sent) return
    failures = 0
    forget(ids)
    if (readQueue().length) schedule(0)
  }
  function body(batch) {
    return JSON.stringify({ batch: batch, sentAt: new Date().toISOString(), writeKey: KEY })
  }

  // On page hide the page may never run again. sendBeacon has no answer, so what it
  // carried stays queued and goes again from the next page: the server drops the copy
  // by messageId. (visibilitychange sends by keepalive fetch first, which is answered.)
  function beacon() {
    if (!navigator.onLine || !navigator.sendBeacon) return
    var q = readQueue().filter(function (m) { return !inflight[m.messageId] })
    for (var i = 0; i < q.length; i += MAX_BATCH) {
      var part = q.slice(i, i + MAX_BATCH)
      if (!navigator.sendBeacon(API, new Blob([body(part)], { type: 'text/plain' }))) break
      part.forEach(function (m) { inflight[m.messageId] = 1 })
    }
  }

  // --- what is measured on the page ---------------------------------------------------
  function meta(name) {
    var m = d.querySelector('meta[name="' + name + '"]')
    return m && m.content
  }
  function pageAsset() {
    var el = d.querySelector('article[data-asset-id]') || d.body
    return meta('leadloop:asset') || (el && el.getAttribute('data-asset-id')) || undefined
  }
  var asset = pageAsset()
  var depth = 0
  var sections = 0
  var activeMs = 0
  var reported = { depth: 0, sections: 0 }
  var lastActive = Date.now()
  var lastTick = Date.now()

  function measureScroll() {
    var root = d.documentElement
    var bottom = w.scrollY + w.innerHeight
    var pct = Math.min(100, Math.round((100 * bottom) / Math.max(root.scrollHeight, 1)))
    if (pct > depth) depth = pct
    var n = 0
    var marks = d.querySelectorAll('section, [data-section]')
    ;(marks.length ? marks : d.querySelectorAll('h2')).forEach(function (el) {
      if (el.getBoundingClientRect().top < w.innerHeight) n++
    })
    if (n > sections) sections = n
  }
  function active() { lastActive = Date.now() }
  function playing() {
    return Array.prototype.some.call(d.querySelectorAll('video'), function (v) {
      return !v.paused && !v.ended
    })
  }
  // Active time: visible tab, and input within IDLE_MS or a video playing.
  function tick() {
    var now = Date.now()
    if (d.visibilityState === 'visible' && (now - lastActive < IDLE_MS || playing())) {
      activeMs += Math.min(now - lastTick, 1500)
    }
    lastTick = now
  }
  // read_depth and sections_reached: furthest in this page view (take the max);
  // active_seconds: seconds since this page view's previous Content Engaged (sum them).
  function engaged() {
    tick()
    var secs = Math.round(activeMs / 1000)
    if (!secs && depth <= reported.depth && sections <= reported.sections) return
    activeMs -= secs * 1000
    reported = { depth: depth, sections: sections }
    track('Content Engaged', {
      asset_id: asset, read_depth: depth, sections_reached: sections, active_seconds: secs
    })
  }

  function track(event, properties) {
    enqueue({ type: 'track', event: event, properties: properties || {} })
  }
  function page(properties) {
    var p = pageContext()
    p.asset_id = asset
    enqueue({ type: 'page', name: d.title, properties: Object.assign(p, properties) })
  }
  function identify(userId, traits) {
    if (typeof userId === 'object' && userId) { traits = userId; userId = null }
    if (userId) set('ll_uid', String(userId))
    enqueue({ type: 'identify', traits: traits || {} })
  }

  var DOWNLOAD = /\.(pdf|zip|docx?|xlsx?|pptx?)([?#]|$)/i
  function onClick(e) {
    var a = e.target.closest && e.target.closest('a[href]')
    if (!a) return
    var url = new URL(a.href, location.href)
    if (a.hasAttribute('download') || a.hasAttribute('data-asset-id') ||
        DOWNLOAD.test(url.pathname)) {
      track('Asset Downloaded', { asset_id: a.getAttribute('data-asset-id') || asset,
        url: url.href })
    } else if (/^https?:$/.test(url.protocol) && url.host !== location.host) {
      track('Outbound Link Clicked', { url: url.href })
    }
  }

  // Only these four fields are ever read; anything else on the form stays on the page.
  function onSubmit(e) {
    var f = e.target
    var email = f.querySelector('[name=email], [type=email]')
    if (!email || !email.value) return
    var name = f.querySelector('[name=name], [autocomplete=name]')
    var sub = f.querySelector('[name=subscribe]')
    var topic = f.querySelector('[name=topic]')
    var traits = { email: email.value.trim() }
    if (name && name.value) traits.name = name.value.trim()
    if (sub) traits.subscribe = sub.type === 'checkbox' ? sub.checked : !!sub.value
    var t = (topic && topic.value) || f.getAttribute('data-topic')
    if (t) traits.topic = t
    identify(traits)
    track('Form Submitted', {
      form: f.getAttribute('data-form') || f.id || f.getAttribute('name') || 'form',
      asset_id: f.getAttribute('data-asset-id') || asset
    })
  }

  var marks = new WeakMap()
  function onTime(e) {
    var v = e.target
    if (v.tagName !== 'VIDEO' || !v.duration) return
    active()
    var done = marks.get(v) || {}
    marks.set(v, done)
    var pct = (100 * v.currentTime) / v.duration
    ;[25, 50, 75, 100].forEach(function (m) {
      if (pct >= m - 0.5 && !done[m]) {
        done[m] = 1
        track('Video Progress', {
          asset_id: v.getAttribute('data-asset-id') || asset,
          percent: m,
          position_seconds: Math.round(v.currentTime)
        })
      }
    })
  }

  function hidden() {
    engaged()
    flush()
  }

  // --- public API: window.leadloop(command, ...args) ------------------------------------
  var commands = {
    track: track,
    page: page,
    identify: identify,
    flush: flush,
    consent: function (yes) {
      consent = !!yes
      set('ll_consent', yes ? '1' : null)
      if (yes) {
        var q = readQueue()
        held.forEach(function (m) { stamp(m); q.push(m) })
        held = []
        writeQueue(q)
        return schedule(0)
      }
      held = []
      set('ll_q', null)
      commands.reset()
    },
    // A new visitor from here on (log-out); what is queued still goes, as it was stamped.
    reset: function () {
      cookie('ll_aid', null)
      set('ll_aid', null)
      set('ll_uid', null)
    }
  }
  function leadloop(cmd) {
    var f = commands[cmd]
    if (f) return f.apply(null, [].slice.call(arguments, 1))
  }
  leadloop.push = function (args) { return leadloop.apply(null, args) }
  w.leadloop = leadloop

  if (dnt) return
  d.addEventListener('click', onClick, true)
  d.addEventListener('submit', onSubmit, true)
  d.addEventListener('timeupdate', onTime, true)
  ;['scroll', 'keydown', 'pointerdown', 'pointermove', 'touchstart', 'wheel'].forEach(function (t) {
    w.addEventListener(t, active, { capture: true, passive: true })
  })
  w.addEventListener('scroll', measureScroll, { passive: true })
  d.addEventListener('visibilitychange', function () {
    if (d.visibilityState === 'hidden') hidden()
    else { lastTick = Date.now(); active() }
  })
  w.addEventListener('pagehide', function () { engaged(); beacon() })
  w.addEventListener('online', function () { failures = 0; schedule(0) })
  setInterval(tick, 1000)
  measureScroll()
  page()
  ;[].slice.call(pending).forEach(function (args) { leadloop.apply(null, args) })
  schedule(FLUSH_MS)
})(window, document)
