// A comment's prediction: claim, deadline, the community median and forecaster count, the
// reader's forecast slider, the history chart (chart.svg), and once resolved the outcome and
// the scores; moderators resolve it here.
import { h, field, formError, showErrors, pct, relativeTime, nextId, errorMessage, displayName, fullDate } from './dom.js';
import { t } from './strings.js';
import { api, currentUser, isModerator } from './api.js';

const brier = (p, outcome) => ((p - (outcome === 'yes' ? 1 : 0)) ** 2).toFixed(3);

/** The community line: median and forecaster count. */
export function communityText(p) {
  return p.community_probability == null
    ? t('noForecasts')
    : t('communityMedian', { p: pct(p.community_probability), n: p.forecaster_count });
}

/** The prediction box of comment `c` (its `prediction` is the wire PredictionView). */
export function renderPrediction(thread, c) {
  const p = c.prediction;
  const box = h('section', { class: `hs-prediction hs-status-${p.status}`, 'aria-label': t('prediction') });
  const community = h('p', { class: 'hs-community' });
  const paintCommunity = () => {
    community.textContent = communityText(p);
  };
  paintCommunity();
  box.append(
    h('p', { class: 'hs-claim' }, h('strong', { text: `${t('prediction')}: ` }), p.claim || ''),
    p.criteria ? h('p', { class: 'hs-criteria', text: p.criteria }) : null,
    h('p', { class: 'hs-pmeta' },
      h('span', { class: 'hs-pstatus', text: t(`status.${p.status}`) }), ' · ',
      p.resolved_at
        ? h('span', { text: t('resolvedAt', { when: relativeTime(p.resolved_at) }), title: fullDate(p.resolved_at) })
        : h('span', { text: t('resolvesAt', { when: relativeTime(p.resolves_at) }), title: fullDate(p.resolves_at) }),
      p.author_probability != null ? ` · ${t('authorSays', { p: pct(p.author_probability) })}` : ''),
    community);
  const chart = h('img', {
    class: 'hs-chart', width: 320, height: 180,
    alt: t('historyChart', { claim: p.claim || '' }),
    src: `/api/v1/predictions/${p.id}/chart.svg`,
  });
  box.append(chart);
  if (p.status === 'resolved' || p.status === 'void') box.append(resolution(thread, p));
  else if (currentUser() && p.status === 'open') box.append(forecastForm(p, paintCommunity, chart));
  if (isModerator() && (p.status === 'open' || p.status === 'closed' || p.status === 'resolved')) box.append(resolveForm(thread, c));
  return box;
}

function forecastForm(p, paintCommunity, chart) {
  const start = p.my_probability != null ? pct(p.my_probability) : p.community_probability != null ? pct(p.community_probability) : 50;
  const slider = h('input', { type: 'range', min: 1, max: 99, step: 1, value: start, 'aria-valuetext': `${start}%` });
  const wrap = field(t('yourForecast', { p: start }), slider, 'probability');
  const label = wrap.querySelector('label');
  slider.addEventListener('input', () => {
    label.textContent = t('yourForecast', { p: slider.value });
    slider.setAttribute('aria-valuetext', `${slider.value}%`);
  });
  const saved = h('span', { class: 'hs-saved', role: 'status' });
  const form = h('form', { class: 'hs-form hs-forecast', novalidate: true }, wrap, formError(),
    h('div', { class: 'hs-buttons' }, h('button', { type: 'submit', text: t('forecastSave') }), saved));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    saved.textContent = '';
    try {
      const view = await api('PUT', `/predictions/${p.id}/forecast`, { probability: Number(slider.value) / 100 });
      Object.assign(p, view);
      paintCommunity();
      saved.textContent = t('forecastSaved');
      chart.src = `/api/v1/predictions/${p.id}/chart.svg?v=${Date.now()}`;
    } catch (error) {
      showErrors(form, error);
    }
  });
  return form;
}

function resolution(thread, p) {
  const box = h('div', { class: 'hs-resolution' });
  if (p.outcome) box.append(h('p', { class: 'hs-outcome', text: t('outcome', { outcome: t(`outcomes.${p.outcome}`) }) }));
  if (p.resolution_note) box.append(h('p', { class: 'hs-note', text: p.resolution_note }));
  if (p.outcome === 'yes' || p.outcome === 'no') {
    const lines = h('ul', { class: 'hs-scores' });
    if (p.my_probability != null) lines.append(h('li', { class: 'hs-my-score', text: t('yourScore', { s: brier(p.my_probability, p.outcome) }) }));
    if (p.author_probability != null) lines.append(h('li', { text: t('authorScore', { s: brier(p.author_probability, p.outcome) }) }));
    if (p.community_probability != null) lines.append(h('li', { text: t('communityScore', { s: brier(p.community_probability, p.outcome) }) }));
    box.append(lines);
    const details = h('details', { class: 'hs-forecaster-scores' }, h('summary', { text: t('forecasterScores') }));
    details.addEventListener('toggle', async () => {
      if (!details.open || details.dataset.loaded) return;
      details.dataset.loaded = '1';
      const list = h('ul');
      details.append(list);
      try {
        const page = await api('GET', `/predictions/${p.id}/scores?limit=100`);
        if (!page.items.length) list.append(h('li', { text: t('noForecasterScores') }));
        for (const e of page.items) {
          list.append(h('li', { text: t('forecasterScoreRow', { name: displayName(e.forecaster), p: Math.round(e.probability * 100), s: e.brier.toFixed(3) }) }));
        }
      } catch (error) {
        list.append(h('li', { text: errorMessage(error) }));
      }
    });
    box.append(details);
  }
  return box;
}

function resolveForm(thread, c) {
  const p = c.prediction;
  const outcome = h('select', {}, ['yes', 'no', 'void'].map((o) => h('option', { value: o, text: t(`outcomes.${o}`) })));
  const note = h('input', { type: 'text', maxlength: 1000 });
  const evidence = h('input', { type: 'url' });
  const form = h('form', { class: 'hs-form hs-resolve', novalidate: true },
    field(t('outcome', { outcome: '' }).replace(/:\s*$/, ''), outcome, 'outcome'),
    field(t('resolveNote'), note, 'note'), field(t('evidence'), evidence, 'evidence_url'), formError(),
    h('div', { class: 'hs-buttons' }, h('button', { type: 'submit', text: t('resolveSend') })));
  const id = nextId('rs');
  const details = h('details', { class: 'hs-resolve-box', id }, h('summary', { text: t('resolve') }), form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', `/predictions/${p.id}/resolution`, {
        outcome: outcome.value, note: note.value.trim() || null, evidence_url: evidence.value.trim() || null,
      });
      thread.update(await api('GET', `/comments/${c.id}`));
    } catch (error) {
      showErrors(form, error);
    }
  });
  return details;
}
