import { KeyedGate } from '../../src/services/keyed-gate';

// The per-key readers-writer gate behind image releases and native filter deletes.

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

function held(gate: KeyedGate, key: string, exclusive: boolean, log: string[], name: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const done = (exclusive ? gate.exclusive.bind(gate) : gate.shared.bind(gate))(key, async () => {
    log.push(`${name} in`);
    await released;
    log.push(`${name} out`);
  });
  return { release, done };
}

test('shared holders run together; an exclusive one waits for them, and later arrivals wait for it', async () => {
  const gate = new KeyedGate();
  const log: string[] = [];
  const a = held(gate, 'k', false, log, 'a');
  const b = held(gate, 'k', false, log, 'b');
  const x = held(gate, 'k', true, log, 'x');
  const c = held(gate, 'k', false, log, 'c');
  await tick();
  expect(log).toEqual(['a in', 'b in']);
  a.release();
  b.release();
  await tick();
  expect(log).toEqual(['a in', 'b in', 'a out', 'b out', 'x in']);
  x.release();
  await tick();
  expect(log.slice(-2)).toEqual(['x out', 'c in']);
  c.release();
  await Promise.all([a.done, b.done, x.done, c.done]);
});

test('other keys are not held up, and a failing task lets the next one in', async () => {
  const gate = new KeyedGate();
  const log: string[] = [];
  const x = held(gate, 'k', true, log, 'x');
  const other = held(gate, 'other', true, log, 'other');
  await tick();
  expect(log).toEqual(['x in', 'other in']);
  other.release();
  x.release();
  await expect(gate.exclusive('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  await expect(gate.shared('k', async () => 'after')).resolves.toBe('after');
});
