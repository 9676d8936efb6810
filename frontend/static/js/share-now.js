// The owner's live share: who is watching, refreshed every few seconds; ends the view when the
// share is over.

async function refresh(element) {
  try {
    const response = await fetch(`/api/shares/${element.dataset.share}`, { headers: { Accept: 'application/json' } });
    const data = await response.json();
    if (!response.ok) throw new Error(data.detail || response.statusText);
    if (!data.active) {
      element.textContent = 'The share has ended. Police can no longer watch.';
      return;
    }
    element.textContent = data.viewers.length
      ? `Watching: ${data.viewers.map((v) => `${v.name} (${v.role}), since ${new Date(v.since).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`).join('; ')}.`
      : 'Nobody is watching yet.';
  } catch (err) {
    element.textContent = `Could not check who is watching: ${err.message}. Trying again.`;
  }
  window.setTimeout(() => refresh(element), 4000);
}

for (const element of document.querySelectorAll('.js-viewers')) refresh(element);
