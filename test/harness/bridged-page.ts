import type { AgentEvent } from '../../pi-agent/src/core/events.ts';
import type { BridgeEvent } from '../../bridge/src/core/events.ts';
import { AgentProcess } from './agent-process.ts';
import { BridgeProcess } from './bridge-process.ts';
import { builtPageUrl, pageShows, type BuiltPage, type BuiltSnapshot } from './built-page.ts';

/** A test's live agent, its bridge and the built page opened on the agent's offer, up to the answer the page shows. */
export interface Bridged {
  agent: AgentProcess;
  bridge: BridgeProcess;
  offer: Extract<AgentEvent, { type: 'offer' }>;
  page: BuiltPage;
  /** The page once it showed the answer (`answered.answer`, the text a person carries to the agent). */
  answered: BuiltSnapshot;
  /** The bridge's `answer` event for that answer (its codec, its viewer). */
  answer: Extract<BridgeEvent, { type: 'answer' }>;
}

/**
 * The agents, bridges and built pages of the bridge page tests, stopped together by `stop()`
 * (each file's afterEach): on 2 shared cores, one test's processes left running slowed the next
 * test's first connection until it failed.
 */
export class BridgedPages {
  private readonly agents: AgentProcess[] = [];
  private readonly bridges: BridgeProcess[] = [];
  private readonly pages: BuiltPage[] = [];

  /** A real agent with `args`, stopped by `stop()`. */
  agent(args: string[]): AgentProcess {
    const agent = new AgentProcess(args);
    this.agents.push(agent);
    return agent;
  }

  /** A real bridge, stopped by `stop()`. */
  bridge(): BridgeProcess {
    const bridge = new BridgeProcess();
    this.bridges.push(bridge);
    return bridge;
  }

  /** Opens a page with `open`, closed by `stop()`. */
  async page(open: (url: string) => BuiltPage | Promise<BuiltPage>, url: string): Promise<BuiltPage> {
    const page = await open(url);
    this.pages.push(page);
    return page;
  }

  /**
   * An agent offering with `agentArgs`, a bridge, and the built page opened with ?bridge= and the
   * offer in its fragment (`query` added, e.g. `decoder=mse`), as a Tauri shell opens it; resolves
   * once the page shows its answer and the bridge made it. Carrying it to the agent is the test's.
   */
  async answered(agentArgs: string[], open: (url: string) => BuiltPage | Promise<BuiltPage>, query = ''): Promise<Bridged> {
    const agent = this.agent(agentArgs);
    const bridge = this.bridge();
    const [offer, url] = await Promise.all([agent.next('offer'), bridge.url]);
    const page = await this.page(open, builtPageUrl(url, offer.text, query));
    const answered = await pageShows(page, (s) => s.answer.startsWith('pigeon:'), 30_000, 'the answer shown as text');
    const answer = await bridge.next('answer', { where: (e) => e.text === answered.answer });
    return { agent, bridge, offer, page, answered, answer };
  }

  /** Closes every page, then stops every agent and bridge. */
  async stop(): Promise<void> {
    await Promise.allSettled(this.pages.splice(0).map((p) => p.close()));
    await Promise.allSettled([...this.agents.splice(0).map((a) => a.stop()), ...this.bridges.splice(0).map((b) => b.stop())]);
  }
}
