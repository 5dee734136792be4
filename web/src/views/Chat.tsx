import { useEffect, useRef, useState } from 'preact/hooks';
import { Link } from '../link';
import { browserZone } from '../dates';
import { api } from '../session';
import { applyTask } from '../store';
import type { Task } from '../types';

type Turn = { who: 'me' | 'bot'; text: string; tasks?: { id: number; title: string }[] };
type Reply = { conversation_id: string; reply: string; intent: string; tasks: Task[] };

const KEY = 'todo.chat';

/** The chat panel: POST /api/{user}/chat; the conversation is kept for this tab. */
export function ChatPanel() {
  const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as { id: string | null; turns: Turn[] } | null;
  const [id, setId] = useState<string | null>(saved?.id ?? null);
  const [turns, setTurns] = useState<Turn[]>(saved?.turns ?? []);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const log = useRef<HTMLOListElement>(null);

  useEffect(() => {
    sessionStorage.setItem(KEY, JSON.stringify({ id, turns: turns.slice(-100) }));
    log.current?.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }, [id, turns]);

  const send = async (e: Event) => {
    e.preventDefault();
    const message = text.trim();
    if (!message) return;
    setBusy(true);
    setText('');
    const mine: Turn[] = [...turns, { who: 'me', text: message }];
    setTurns(mine);
    try {
      const r = await api<Reply>('POST', '/chat', { message, timezone: browserZone(), ...(id ? { conversation_id: id } : {}) });
      setId(r.conversation_id);
      if (r.intent === 'add' || r.intent === 'update') r.tasks.forEach((t) => applyTask(t));
      setTurns([...mine, { who: 'bot', text: r.reply, tasks: r.tasks.map((t) => ({ id: t.id, title: t.title })) }]);
    } catch (err) {
      setTurns([...mine, { who: 'bot', text: `Error: ${(err as Error).message}` }]);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="chat-h" class="chat">
      <h1 id="chat-h" tabIndex={-1}>
        Chat
      </h1>
      <p class="hint">Try: "add buy milk tomorrow at 5pm #shopping", "what's due this week", "complete the first one", "help".</p>
      <ol class="log" ref={log} aria-live="polite" aria-label="Conversation">
        {turns.map((t, i) => (
          <li key={i} class={t.who}>
            <span class="sr">{t.who === 'me' ? 'You: ' : 'Assistant: '}</span>
            <span class="text">{t.text}</span>
            {t.tasks && t.tasks.length > 0 && (
              <ul class="touched" aria-label="Tasks">
                {t.tasks.map((x) => (
                  <li key={x.id}>
                    <Link href={`/tasks/${x.id}`}>
                      #{x.id} {x.title}
                    </Link>
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ol>
      <form onSubmit={send} class="row">
        <label for="chat-in" class="sr">
          Message
        </label>
        <input id="chat-in" autocomplete="off" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="Message" />
        <button type="submit" disabled={busy}>
          Send
        </button>
        <button
          type="button"
          onClick={() => {
            setId(null);
            setTurns([]);
          }}
        >
          New conversation
        </button>
      </form>
    </section>
  );
}
