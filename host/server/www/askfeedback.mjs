// askfeedback.mjs: the "helpful / not helpful" buttons under an ask
// answer (POST /api/v1/ask/feedback). "Not helpful" rates the answer's
// learning memory bad, so it is no longer used as an example.
import { api } from './api.mjs';
import { h } from './dom.mjs';

export function feedbackBar(question, r) {
  const msg = h('span', { class: 'meta', role: 'status' });
  const comment = h('input', { name: 'comment', maxlength: 2000, placeholder: 'what was wrong? (optional)', 'aria-label': 'Comment' });
  const send = async (verdict) => {
    const body = { question, verdict };
    if (r.memory_id) body.memory_id = r.memory_id;
    if (r.sql) body.sql = r.sql;
    if (comment.value) body.comment = comment.value;
    if (!body.memory_id && !body.sql) { msg.textContent = 'this answer has no id to rate'; return; }
    try {
      const x = await api('POST', 'ask/feedback', body);
      bar.querySelectorAll('button').forEach((b) => { b.disabled = true; });
      msg.textContent = `thanks, recorded (#${x.id})`;
    } catch (e) { msg.className = 'inline-error'; msg.textContent = e.message; }
  };
  const bar = h('div', { class: 'feedback', id: 'ask-feedback' },
    h('button', { type: 'button', class: 'secondary', onclick: () => send('helpful') }, '👍 Helpful'),
    h('button', { type: 'button', class: 'secondary', onclick: () => send('not_helpful') }, '👎 Not helpful'),
    comment, msg);
  return bar;
}
