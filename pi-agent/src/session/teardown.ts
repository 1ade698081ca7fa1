// What a session has built, undone in reverse: each part registers its own stop as it is built, so
// a start that fails half way stops exactly what exists, and a stop undoes parts in the reverse of
// the order they were built (inputs first, so nothing new arrives; the camera after its viewers).
export type TeardownStep = (farewell: string) => unknown;

export class Teardown {
  private readonly steps: TeardownStep[] = [];

  add(step: TeardownStep): void {
    this.steps.push(step);
  }

  /**
   * Runs every step, last added first, each once. `farewell` is what the viewers are told about why
   * the agent goes. A step that throws does not stop the others; the first error is thrown at the end.
   */
  async run(farewell: string): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step(farewell);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}
