// generate.mjs - SDEverywhere's code for Territory's simulation benchmark
// (issue 8; bench/README.md): C or JS generated from a model by
// @sdeverywhere/compile. bench/run.sh calls it, and keeps what it writes
// keyed by the hash of the model, this file and the lockfile; the JS is
// timed by bench_sde.mjs, the C by sde_run.c.
//
//   node generate.mjs c|js MODEL OUT [--outputs NAME,...]
//
// MODEL is Vensim .mdl or XMILE (by its extension); OUT is the file
// written (model.c, or an ES module for bench_sde.mjs). Without --outputs
// every variable is an output, as SDEverywhere does without a spec; with
// it, only those (on large models SDEverywhere's generator slows down
// faster than the number of outputs grows, so the 100k and arrayed models
// save one, as Territory's bench does on them). Vensim's two-argument
// LOG(x, base), which SDEverywhere 0.7 does not read, is rewritten
// LN(x)/LN(base) first, the same value; the rewrites are counted on
// standard error.
//
// Output: a readable line, then `result` and tab-separated key=value pairs
// (gen_ms, bytes). Exit codes: 0 done, 1 failed, 2 usage.

import fs from 'node:fs'
import path from 'node:path'

function usage() {
  process.stderr.write('usage: node generate.mjs c|js MODEL OUT [--outputs NAME,...]\n')
  process.exit(2)
}

function fail(msg) {
  process.stderr.write(`generate: ${msg}\n`)
  process.exit(1)
}

// Rewrites every two-argument LOG(a, b) call as (LN(a)/LN(b)); a
// one-argument LOG is left alone. Returns [text, count].
function rewriteLog(text) {
  let out = ''
  let count = 0
  let i = 0
  const re = /\bLOG\s*\(/gi
  for (;;) {
    re.lastIndex = i
    const m = re.exec(text)
    if (!m) break
    // Split the arguments at top-level commas up to the matching paren.
    let depth = 1
    let j = m.index + m[0].length
    const args = []
    let argStart = j
    for (; j < text.length && depth > 0; j++) {
      const c = text[j]
      if (c === '(') depth++
      else if (c === ')') {
        depth--
        if (depth === 0) args.push(text.slice(argStart, j))
      } else if (c === ',' && depth === 1) {
        args.push(text.slice(argStart, j))
        argStart = j + 1
      }
    }
    if (depth !== 0) break
    if (args.length === 2) {
      const [a, b] = args.map(s => rewriteLog(s)[0])
      out += text.slice(i, m.index) + `(LN(${a})/LN(${b}))`
      count++
    } else {
      out += text.slice(i, j)
    }
    i = j
  }
  return [out + text.slice(i), count]
}

async function generate(argv) {
  if (argv.length !== 3 && argv.length !== 5) usage()
  const [target, model, outFile] = argv
  let outputs = []
  if (argv.length === 5) {
    if (argv[3] !== '--outputs') usage()
    outputs = argv[4].split(',').filter(s => s.length > 0)
  }
  if (target !== 'c' && target !== 'js') usage()
  const { generateCode, parseModel } = await import('@sdeverywhere/compile')
  let text
  try {
    text = fs.readFileSync(model, 'utf8')
  } catch (e) {
    fail(`cannot read '${model}': ${e.message}`)
  }
  const kind = /\.mdl$/i.test(model) ? 'vensim' : 'xmile'
  if (kind === 'vensim') {
    const [rewritten, n] = rewriteLog(text)
    if (n > 0) process.stderr.write(`bench_sde: ${model}: ${n} LOG(x, base) rewritten as LN(x)/LN(base)\n`)
    text = rewritten
  }
  // SDEverywhere names a variable in C by its canonical form: lower case,
  // runs of blanks and underscores as one underscore, a leading underscore.
  const canon = name => '_' + name.trim().toLowerCase().replace(/[\s_]+/g, '_')
  const spec =
    outputs.length > 0
      ? { inputVarNames: [], outputVarNames: outputs, outputVars: outputs.map(canon) }
      : { inputVarNames: [], outputVarNames: [] }
  const op = target === 'c' ? 'generateC' : 'generateJS'
  const modelDir = path.dirname(path.resolve(model))
  const t0 = process.hrtime.bigint()
  let src
  try {
    const parsed = parseModel(text, kind, modelDir)
    src = generateCode(parsed, { spec, operations: [op], extData: new Map(), directData: new Map(), modelDirname: modelDir })
  } catch (e) {
    fail(`${model}: ${e.message}`)
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  fs.mkdirSync(path.dirname(outFile), { recursive: true })
  fs.writeFileSync(outFile, src)
  console.log(`generated ${target} of ${model} in ${ms.toFixed(0)} ms: ${outFile} (${src.length} bytes)`)
  console.log(`result\tgen_ms=${ms.toFixed(1)}\tbytes=${src.length}`)
}


await generate(process.argv.slice(2))
