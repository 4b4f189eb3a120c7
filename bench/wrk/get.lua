-- get.lua - wrk script of the server benchmark (bench/README.md): GET of
-- the URL wrk is given (a workspace's map) as the signed-in bench user,
-- whose Cookie header bench/run.sh passes in BENCH_COOKIE, taking gzip as a
-- browser does (wrk does not decompress: it counts the bytes). done() prints
-- one `result` line for run.sh; report.lua holds it.
local report = dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
-- as every browser sends it: the server gzips the map (once per version)
wrk.headers["Accept-Encoding"] = "gzip, deflate, br"

done = report.done
