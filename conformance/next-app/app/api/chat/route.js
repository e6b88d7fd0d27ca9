// notebooks/app/api/chat/route.py. The checks reproduce where the Python handler raises
// (a 500 on both sides) instead of JavaScript's silent `undefined`.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function isDict(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// str(value) of the Python handler, for the JSON values a body can hold (integers only:
// JSON.parse cannot tell 1.0 from 1, so the generator sends no floats here).
function pyStr(value, nested = false) {
  if (value === null) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'string') return nested ? pyRepr(value) : value
  if (typeof value === 'number') return String(value)
  if (Array.isArray(value)) return '[' + value.map((v) => pyStr(v, true)).join(', ') + ']'
  return '{' + Object.entries(value).map(([k, v]) => pyRepr(k) + ': ' + pyStr(v, true)).join(', ') + '}'
}

function pyRepr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'"
  const escaped = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote
}

function pyTruthy(value) {
  if (Array.isArray(value)) return value.length > 0
  if (isDict(value)) return Object.keys(value).length > 0
  return Boolean(value)
}

export async function POST(request) {
  const body = await request.json()
  if (!isDict(body)) throw new TypeError('body.get: not a dict')
  let last = ''
  if (pyTruthy(body.messages)) {
    const messages = body.messages
    if (!Array.isArray(messages)) throw new TypeError('messages[-1]: not a list')
    const message = messages[messages.length - 1]
    if (!isDict(message) || !Object.hasOwn(message, 'content')) throw new TypeError("['content']")
    last = pyStr(message.content)
  }
  const words = `You said: ${last}`.split(' ')
  const encoder = new TextEncoder()
  const stream = new ReadableStream({
    async start(controller) {
      for (const word of words) {
        controller.enqueue(encoder.encode(word + ' '))
        await sleep(50)
      }
      controller.close()
    },
  })
  return new Response(stream, { headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}
