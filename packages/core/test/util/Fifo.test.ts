import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/util/Fifo.js';

describe('Fifo', () => {
  it('hands items out in order across its internal trims, with at() counting from the head', () => {
    const queue = new Fifo<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) queue.push(next++);
      for (let i = 0; i < 250; i++) expect(queue.shift()).toBe(expected++);
      expect(queue.at(0)).toBe(expected);
      expect(queue.at(queue.length - 1)).toBe(next - 1);
      expect(queue.at(queue.length)).toBeUndefined();
    }
    expect(queue.length).toBe(next - expected);
    while (queue.length > 0) expect(queue.shift()).toBe(expected++);
    expect(queue.shift()).toBeUndefined();
    expect(queue.at(0)).toBeUndefined();
  });

  it('drains and fills again, also after a long backlog, in order', () => {
    const queue = new Fifo<number>();
    for (const size of [1, 3, 5000, 2, 0, 1]) {
      for (let i = 0; i < size; i++) queue.push(i);
      expect(queue.length).toBe(size);
      for (let i = 0; i < size; i++) expect(queue.shift()).toBe(i);
      expect(queue.length).toBe(0);
      expect(queue.at(0)).toBeUndefined();
      expect(queue.shift()).toBeUndefined();
    }
  });
});
