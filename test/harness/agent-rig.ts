import { after, before } from 'node:test';
import { launchChromium, type ChromiumHandle } from './chromium.ts';
import { AgentProcess } from './agent-process.ts';

/**
 * One Chromium for a test file, and agents that are all stopped when it ends, so a failing
 * test leaves no gst-launch or agent process behind.
 */
export function agentRig(): { chromium(): ChromiumHandle; startAgent(args: string[], env?: NodeJS.ProcessEnv): AgentProcess } {
  let chromium: ChromiumHandle | undefined;
  const agents: AgentProcess[] = [];
  before(async () => {
    chromium = await launchChromium();
  });
  after(async () => {
    await Promise.allSettled(agents.map((a) => a.stop()));
    await chromium?.close();
  });
  return {
    chromium() {
      if (!chromium) throw new Error('Chromium is not up yet (use it inside a test)');
      return chromium;
    },
    startAgent(args, env) {
      const agent = new AgentProcess(args, env);
      agents.push(agent);
      return agent;
    },
  };
}
