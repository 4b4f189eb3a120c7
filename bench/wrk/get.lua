-- get.lua - wrk script of the server benchmark (bench/README.md): GET of
-- the URL wrk is given (a workspace's map) as the signed-in bench user,
-- whose Cookie header bench/run.sh passes in BENCH_COOKIE. done() prints
-- one `result` line for run.sh; report.lua holds it.
local report = dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")

done = report.done
