// bench_sde.mjs - times SDEverywhere's generated JS in-process for
// Territory's simulation benchmark (issue 8; bench/README.md), as
// build/bench/bench_sim does Territory and sde_run.c the generated C.
// generate.mjs writes the module; bench/run.sh calls both.
//
//   node bench_sde.mjs MODEL.mjs [--min-seconds S] [--warmup-seconds W]
//                                [--var NAME]
//
// It imports the generated module, makes a synchronous runner
// (createSynchronousModelRunner, SDEverywhere's public API), runs it
// untimed for W seconds (default 3; at least once), which lets V8 compile
// the hot functions with its optimizing tier (World3's first runs are tens
// of times slower than the later ones), then again and again for at least
// S seconds (default 1) and at least 3 runs. Two figures per run: the
// simulation alone as the runtime itself times it (Outputs.runTimeInMillis:
// the generated code and its run loop, into a Float64Array), and the whole
// runModelSync call, which also copies the buffer into per-variable Series
// objects. --var names an output (as written in the model) whose value at
// the final time is printed.
//
// Output: readable lines, then `result` and tab-separated key=value pairs.
// Exit codes: 0 done, 1 failed, 2 usage.

import path from 'node:path'
import { pathToFileURL } from 'node:url'

const MAX_RUNS = 1000000

function usage() {
  process.stderr.write('usage: node bench_sde.mjs MODEL.mjs [--min-seconds S] [--warmup-seconds W] [--var NAME]\n')
  process.exit(2)
}

async function time(argv) {
  if (argv.length < 1) usage()
  const file = argv[0]
  let minSeconds = 1
  let warmupSeconds = 3
  let varName
  const seconds = (flag, text) => {
    const v = Number(text)
    if (!(v >= 0 && v <= 3600)) {
      process.stderr.write(`bench_sde: ${flag} takes a number of seconds from 0 to 3600\n`)
      process.exit(2)
    }
    return v
  }
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--min-seconds' && i + 1 < argv.length) {
      minSeconds = seconds(argv[i], argv[++i])
    } else if (argv[i] === '--warmup-seconds' && i + 1 < argv.length) {
      warmupSeconds = seconds(argv[i], argv[++i])
    } else if (argv[i] === '--var' && i + 1 < argv.length) {
      varName = argv[++i]
    } else {
      usage()
    }
  }
  const { createSynchronousModelRunner } = await import('@sdeverywhere/runtime')
  const mod = await import(pathToFileURL(path.resolve(file)).href)
  const generated = await mod.default()
  const runner = createSynchronousModelRunner(generated)
  const outputs = runner.createOutputs()
  const names = generated.outputVarNames
  const col = varName === undefined ? names.length - 1 : names.indexOf(varName)
  if (col < 0) {
    process.stderr.write(`bench_sde: no output '${varName}' in ${file}\n`)
    process.exit(2)
  }

  // The warm-up run also counts the rows the runtime saves (it decides by
  // the remainder of the summed clock over the save step).
  let saves = 0
  const store = generated.storeOutputs
  generated.storeOutputs = storeValue => {
    saves++
    store(storeValue)
  }
  runner.runModelSync([], outputs)
  generated.storeOutputs = store
  let warmups = 1
  const warmBegin = process.hrtime.bigint()
  const warmLimit = BigInt(Math.round(warmupSeconds * 1e9))
  while (process.hrtime.bigint() - warmBegin < warmLimit) {
    runner.runModelSync([], outputs)
    warmups++
  }
  const sim = []
  const call = []
  const begin = process.hrtime.bigint()
  const limit = BigInt(Math.round(minSeconds * 1e9))
  while (sim.length < MAX_RUNS && (sim.length < 3 || process.hrtime.bigint() - begin < limit)) {
    const a = process.hrtime.bigint()
    runner.runModelSync([], outputs)
    const b = process.hrtime.bigint()
    call.push(Number(b - a) / 1e3)
    sim.push(outputs.runTimeInMillis * 1e3)
  }
  const stats = xs => {
    const s = Float64Array.from(xs).sort()
    const n = s.length
    return [s[0], n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2]
  }
  const [best, median] = stats(sim)
  const [callBest, callMedian] = stats(call)
  const series = outputs.varSeries[col]
  const pts = series.points
  // A row the runtime did not save leaves the final value unknown.
  const last = pts.length > 0 && saves === pts.length ? pts[pts.length - 1].y : NaN
  console.log(`model            ${file}`)
  console.log(`outputs          ${names.length} (${saves} of ${pts.length} rows saved)`)
  console.log(`runs             ${sim.length} (after ${warmups} untimed)`)
  console.log(`simulation       best ${best.toFixed(1)} us, median ${median.toFixed(1)} us (runtime's own timer)`)
  console.log(`runModelSync     best ${callBest.toFixed(1)} us, median ${callMedian.toFixed(1)} us`)
  console.log(`last value       ${names[col]} = ${last}`)
  console.log(
    `result\toutputs=${names.length}\trows=${saves}\texpected_rows=${pts.length}\truns=${sim.length}\twarmups=${warmups}\tbest_us=${best.toFixed(2)}` +
      `\tmedian_us=${median.toFixed(2)}\tcall_best_us=${callBest.toFixed(2)}` +
      `\tcall_median_us=${callMedian.toFixed(2)}\tlast=${last}\tnode=${process.version}`
  )
  if (saves === pts.length && !Number.isFinite(last)) process.exit(1)
}

await time(process.argv.slice(2))
