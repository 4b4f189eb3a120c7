-- post.lua - wrk script of the server benchmark (bench/README.md): item
-- writes, POST {"title": ...} to the URL wrk is given (a workspace's
-- items) with the session cookie and the CSRF header (BENCH_COOKIE and
-- BENCH_CSRF from bench/run.sh). Each request adds an item of its own
-- title. done() prints one `result` line for run.sh (report.lua).
local report = dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.headers["X-CSRF-Token"] = os.getenv("BENCH_CSRF")
wrk.headers["Content-Type"] = "application/json"

-- setup() runs in the main Lua state and numbers the threads; each thread
-- has a state of its own, where thread:set makes the global `thread_id`.
local n = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function request()
  n = n + 1
  local body = string.format('{"title": "bench write %d.%d"}',
                             thread_id or 0, n)
  return wrk.format(nil, nil, nil, body)
end

done = report.done
